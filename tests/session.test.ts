// Needle (lib/needle.ts) against the fixtures' text-level goldens: prompt,
// unconstrained, constrained and forced runs (ids and final text), retrieval;
// plus streaming, abort, callMany and toolChoice behaviour.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { Needle } from "../lib/needle.ts";
import { NeedleModel } from "../lib/engine/model.ts";
import { InputError } from "../lib/errors.ts";
import { FIXTURES, assertClose, readFixtureJson } from "./helpers.ts";

const tokenizer = `${FIXTURES}tokenizer/needle_test.model`;
/** The goldens are the reference's runs: constrained ones compare under its constraint (schema mode: tests/needle-schema.test.ts). */
const REFERENCE = { constrained: "reference" } as const;
const suites = [
  { dir: "tiny", weights: `${FIXTURES}tiny/needle_tiny.p5_numpy1.pkl` },
  { dir: "ffn", weights: `${FIXTURES}ffn/needle_ffn.p4_numpy2.pkl` },
];

for (const { dir, weights } of suites) {
  const goldens = readFixtureJson(`${dir}/model_goldens.json`);
  const needle = await Needle.load({ weights, tokenizer });

  for (const c of goldens.cases) {
    test(`${dir}/${c.id}: prompt equals the reference's (normalised tools, name map, encoder ids)`, () => {
      const prompt = needle.prompt(c.query, c.tools);
      assert.is(prompt.toolsJson, c.normalized_tools);
      assert.equal({ ...prompt.nameMap }, c.name_map);
      assert.equal(prompt.encoderIds, c.encoder_input_ids);
    });

    const runs = [c.unconstrained, c.constrained, ...c.forced];
    for (const [i, run] of runs.entries()) {
      const kind = i === 0 ? "unconstrained" : i === 1 ? "constrained" : `forced ${JSON.stringify(run.forced_text)}`;
      test(`${dir}/${c.id}: ${kind} run gives the reference's ids and text`, async () => {
        const result = await needle.call(c.query, c.tools, {
          constrained: run.constrained ? "reference" : false,
          maxTokens: run.max_gen_len - 1,
          ...(run.forced_ids.length ? { prefix: run.forced_text } : {}),
        });
        assert.equal(result.tokens, run.ids);
        assert.is(result.text, run.text);
        assert.is(result.finishReason, run.stopped_on_eos ? "stop" : "length");
      });
    }
  }

  test(`${dir}: rank reproduces the reference's retrieval scores and ranking`, async () => {
    for (const r of goldens.contrastive.retrieval) {
      const tools = `[${r.tools.join(",")}]`;
      const ranked = await needle.rank(r.query, tools);
      assert.equal(ranked.map((x) => x.index), r.ranking);
      const byIndex = new Array(r.tools.length);
      for (const x of ranked) byIndex[x.index] = x.score;
      assertClose(byIndex, r.scores, 1e-5, "scores");
      assert.equal(await needle.rank(r.query, tools, 2), ranked.slice(0, 2));
    }
  });
}

const needle = await Needle.load({ weights: suites[0]!.weights, tokenizer });
const cases = readFixtureJson("tiny/model_goldens.json").cases;
const email = cases.find((c: any) => c.id === "readme_email");
const weather = cases.find((c: any) => c.id === "readme_weather");

test("stream yields text deltas that add up to the call's text, then the same result", async () => {
  const expected = await needle.call(email.query, email.tools, { constrained: false });
  const tokens: number[] = [];
  let text = "";
  let final;
  for await (const event of needle.stream(email.query, email.tools, { constrained: false })) {
    if (event.type === "token") {
      tokens.push(event.token);
      text += event.text;
    } else final = event.result;
  }
  assert.equal(final, expected);
  assert.equal(tokens, expected.tokens);
  assert.is(text, expected.text);
});

test("every golden case, streamed whole or cut by maxTokens: the deltas add up to the result's text", async () => {
  for (const c of cases) {
    const prefixes = c.forced.map((run: any) => ({ prefix: run.forced_text }));
    for (const options of [{ constrained: false }, REFERENCE, { ...REFERENCE, maxTokens: 7 }, { constrained: false, maxTokens: 3 }, ...prefixes]) {
      let text = "";
      let final;
      for await (const event of needle.stream(c.query, c.tools, options)) {
        if (event.type === "token") text += event.text;
        else final = event.result;
      }
      // An answer that began as JSON and did not parse keeps the reference's leading space in result.text only.
      const expected = final!.error && text !== final!.text ? final!.text.trimStart() : final!.text;
      assert.is(text, expected, `${c.id} ${JSON.stringify(options)}`);
    }
  }
});

test("the demo model: a JSON answer streams as its final text, whole or cut by maxTokens", async () => {
  const demo = await Needle.load();
  const tools = [
    { name: "getWeather", description: "Get the current weather for a city.", parameters: { location: { type: "string", description: "The city", required: true } } },
    { name: "sendEmail", description: "Send an email.", parameters: { to: { type: "string" }, body: { type: "string" } } },
  ];
  for (const query of ["What's the weather in Paris?", "Email John that the meeting is moved to 3pm", "weather in São Paulo"]) {
    for (const maxTokens of [undefined, 5, 12]) {
      let text = "";
      let final;
      const shown: string[] = [];
      for await (const event of demo.stream(query, tools, { ...REFERENCE, ...(maxTokens ? { maxTokens } : {}) })) {
        if (event.type === "token") {
          text += event.text;
          shown.push(text);
        } else final = event.result;
      }
      assert.ok(shown.length > 1, "more than one token");
      const expected = final!.error && text !== final!.text ? final!.text.trimStart() : final!.text;
      assert.is(text, expected, `${query} ${maxTokens}`);
      if (!final!.error) assert.ok(shown.slice(0, -1).some((s) => s.length > 0), `${query}: text arrives before the end`);
    }
  }
  demo.dispose();
});

test("abort throws the signal's reason, as fetch does: abort(reason) and AbortSignal.timeout()", async () => {
  const reason = new Error("user went away");
  const controller = new AbortController();
  let seen = 0;
  const consume = async () => {
    for await (const event of needle.stream(weather.query, weather.tools, { ...REFERENCE, signal: controller.signal })) {
      if (event.type === "token" && ++seen === 2) controller.abort(reason);
    }
  };
  await consume().then(() => assert.unreachable("not aborted"), (err) => assert.is(err, reason));
  const timeout = AbortSignal.timeout(1);
  await new Promise((resolve) => setTimeout(resolve, 20));
  await needle.call(weather.query, weather.tools, { ...REFERENCE, signal: timeout }).then(
    () => assert.unreachable("not aborted"),
    (err) => {
      assert.is(err, timeout.reason);
      assert.is((err as Error).name, "TimeoutError");
    },
  );
});

test("callMany takes a signal: an abort stops the item in progress with the reason and runs no later item", async () => {
  const controller = new AbortController();
  const reason = new Error("stop the batch");
  controller.abort(reason);
  await needle.callMany([{ query: weather.query, tools: weather.tools }], { signal: controller.signal }).then(
    () => assert.unreachable("not aborted"),
    (err) => assert.is(err, reason),
  );
  const [result] = await needle.callMany([{ query: email.query, tools: email.tools, options: REFERENCE }], { signal: new AbortController().signal });
  assert.equal(result!.tokens, email.constrained.ids);
  for (const bad of ["x", 1, { aborted: true }]) {
    try {
      await needle.callMany([], { signal: bad as unknown as AbortSignal });
      assert.unreachable("accepted");
    } catch (err) {
      assert.instance(err, InputError);
      assert.is((err as InputError).code, "BAD_OPTION");
    }
  }
});

test("Symbol.dispose and Symbol.asyncDispose release the engine (`using`)", async () => {
  const scoped = await Needle.load({ weights: suites[0]!.weights, tokenizer });
  scoped[Symbol.dispose]();
  await scoped.call(email.query, email.tools).then(() => assert.unreachable("ran after dispose"), (err) => assert.is(err.code, "DISPOSED"));
  const scopedAsync = await Needle.load({ weights: suites[0]!.weights, tokenizer });
  await scopedAsync[Symbol.asyncDispose]();
  assert.throws(() => scopedAsync.model.argmax(), (err: any) => err.code === "DISPOSED");
  const model = await NeedleModel.load(suites[0]!.weights);
  model[Symbol.dispose]();
  assert.throws(() => model.argmax(), (err: any) => err.code === "DISPOSED");
});

test("aborting a stream stops it at the next token with an AbortError, and the session keeps working", async () => {
  const controller = new AbortController();
  let seen = 0;
  try {
    for await (const event of needle.stream(weather.query, weather.tools, { ...REFERENCE, signal: controller.signal })) {
      if (event.type === "token" && ++seen === 3) controller.abort();
    }
    assert.unreachable("not aborted");
  } catch (err) {
    assert.is((err as Error).name, "AbortError");
  }
  assert.is(seen, 3);
  const result = await needle.call(weather.query, weather.tools, { constrained: false });
  assert.equal(result.tokens, weather.unconstrained.ids);
});

test("aborting a call from a timer stops it, and the next call succeeds", async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 5);
  try {
    // Unconstrained, the fixture's answer runs to the 511-token limit: far longer than 5 ms.
    await needle.call(weather.query, weather.tools, { constrained: false, signal: controller.signal });
    assert.unreachable("not aborted");
  } catch (err) {
    assert.is((err as Error).name, "AbortError");
  }
  const aborted = new AbortController();
  aborted.abort();
  await needle.call(weather.query, weather.tools, { signal: aborted.signal }).then(
    () => assert.unreachable("ran with an aborted signal"),
    (err) => assert.is(err.name, "AbortError"),
  );
  const result = await needle.call(email.query, email.tools, REFERENCE);
  assert.equal(result.tokens, email.constrained.ids);
});

test("concurrent calls do not interfere: each equals its sequential result", async () => {
  const [a, b, c] = await Promise.all([
    needle.call(weather.query, weather.tools, { constrained: false, maxTokens: 30 }),
    needle.call(email.query, email.tools, REFERENCE),
    needle.call(weather.query, weather.tools, { ...REFERENCE, maxTokens: 20, signal: new AbortController().signal }),
  ]);
  assert.equal(a.tokens, weather.unconstrained.ids.slice(0, 30));
  assert.equal(b.tokens, email.constrained.ids);
  assert.equal(c.tokens, weather.constrained.ids.slice(0, 20));
});

test("rank while a stream is between tokens waits its turn and leaves the stream intact", async () => {
  const tools = `[${readFixtureJson("tiny/model_goldens.json").contrastive.retrieval[0].tools.join(",")}]`;
  const alone = await needle.rank("turn the lights off", tools);
  const tokens: number[] = [];
  let ranked: Promise<unknown> | undefined;
  for await (const event of needle.stream(weather.query, weather.tools, { constrained: false, maxTokens: 20 })) {
    if (event.type !== "token") continue;
    tokens.push(event.token);
    if (tokens.length === 3) ranked = needle.rank("turn the lights off", tools);
  }
  assert.equal(tokens, weather.unconstrained.ids.slice(0, 20));
  assert.equal(await ranked, alone);
});

test("callMany equals sequential calls", async () => {
  const items = cases.slice(0, 4).map((c: any, i: number) => ({ query: c.query, tools: c.tools, options: { constrained: i % 2 === 0 ? "schema" : false, maxTokens: 25 } }));
  const many = await needle.callMany(items);
  for (const [i, item] of items.entries()) assert.equal(many[i], await needle.call(item.query, item.tools, item.options));
});

test("reference mode: toolChoice forces the reference's prefix of a call of the named tool (by original or snake_case name)", async () => {
  const camel = cases.find((c: any) => c.id === "camel_multi");
  for (const name of ["toggleLights", "toggle_lights"]) {
    const result = await needle.call(camel.query, camel.tools, { ...REFERENCE, toolChoice: { name }, maxTokens: 40 });
    assert.ok(result.text.startsWith(' [{"name":"toggleLights","arguments":{'), result.text);
    const viaPrefix = await needle.call(camel.query, camel.tools, { prefix: '[{"name":"toggle_lights","arguments":{', maxTokens: 40 });
    assert.equal(result.tokens, viaPrefix.tokens);
  }
});

test("output that is not JSON comes back as text with a typed parse error", async () => {
  const result = await needle.call(weather.query, weather.tools, { constrained: false, maxTokens: 12 });
  assert.is(result.calls.length, 0);
  assert.ok(result.error);
  assert.is(result.error!.code, "INVALID_JSON");
  assert.is(result.error!.text, result.text);
});

test("bad input is refused with typed errors and the next call works", async () => {
  const bad: [unknown, unknown, unknown, string][] = [
    ["", weather.tools, {}, "EMPTY_QUERY"],
    ["   ", weather.tools, {}, "EMPTY_QUERY"],
    [42, weather.tools, {}, "BAD_QUERY"],
    ["x".repeat(70000), weather.tools, {}, "QUERY_TOO_LONG"],
    ["hi", "not json", {}, "BAD_TOOLS_JSON"],
    ["hi", "{}", {}, "TOOLS_NOT_LIST"],
    ["hi", "[1]", {}, "TOOL_NOT_OBJECT"],
    ["hi", '[{"name":"a_b"},{"name":"aB"}]', {}, "DUPLICATE_TOOL_NAME"],
    ["hi", weather.tools, { maxTokens: 0 }, "BAD_MAX_TOKENS"],
    ["hi", weather.tools, { maxTokens: 512 }, "BAD_MAX_TOKENS"],
    ["hi", weather.tools, { maxTokens: 2.5 }, "BAD_MAX_TOKENS"],
    ["hi", weather.tools, { toolChoice: { name: "nope" } }, "UNKNOWN_TOOL"],
    ["hi", weather.tools, { toolChoice: "always" }, "BAD_TOOL_CHOICE"],
    ["hi", "[]", { toolChoice: "required" }, "BAD_TOOL_CHOICE"],
    ["hi", weather.tools, { toolChoice: "required", prefix: "[" }, "BAD_OPTION"],
    ["hi", weather.tools, { constrained: "json" }, "BAD_OPTION"],
    ["hi", weather.tools, { prefix: "x".repeat(200), maxTokens: 5 }, "PREFIX_TOO_LONG"],
    ["hi ".repeat(2000), weather.tools, { overflow: "error" }, "PROMPT_TOO_LONG"],
  ];
  for (const [query, tools, options, code] of bad) {
    try {
      await needle.call(query as string, tools as string, options as object);
      assert.unreachable(`accepted (${code})`);
    } catch (err) {
      assert.instance(err, InputError, `${code}: ${(err as Error).message}`);
      assert.is((err as InputError).code, code);
    }
  }
  const result = await needle.call(weather.query, weather.tools, REFERENCE);
  assert.equal(result.tokens, weather.constrained.ids);
});

test("an over-long prompt is cut as the reference cuts it, and the cut is reported", async () => {
  const query = "weather ".repeat(1500);
  const prompt = needle.prompt(query, weather.tools);
  assert.is(prompt.encoderIds.length, 1024);
  assert.is(prompt.encoderIds[1022], 5);
  assert.ok(prompt.truncated && prompt.truncated.queryTokens > 0);
  const result = await needle.call(query, weather.tools, { maxTokens: 3 });
  assert.equal(result.truncated, prompt.truncated);
});

test.run();

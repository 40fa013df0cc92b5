// TextStream against the final text it must add up to (outputText, the
// reference's generate() text): random answers — JSON lists of calls with
// camelCase tools, non-ASCII, escapes, numbers Python re-formats, spaces,
// cut anywhere, or not JSON at all — fed in random pieces.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { TextStream, outputText } from "../lib/calls.ts";
import { dumpsPlain } from "../lib/pyjson.ts";

function rng(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
}

const nameMap = { get_weather: "getWeather", send_email: "SendEmail", set_timer: "set_timer" };
const values = ["Paris", "São Paulo", 'say "hi"', "tab\there", 3, -0.5, 1.5e3, 12345678901234567890n, true, null, [1, "x"], { nested: { deep: [] } }];

function answer(random: () => number): string {
  const calls = [];
  const count = Math.floor(random() * 3);
  for (let i = 0; i < count; i++) {
    const name = Object.keys(nameMap)[Math.floor(random() * 3)]!;
    const args: Record<string, unknown> = {};
    for (let k = Math.floor(random() * 3); k > 0; k--) args[`arg${k}`] = values[Math.floor(random() * values.length)];
    calls.push({ name, arguments: args });
  }
  let text = dumpsPlain(calls);
  if (random() < 0.3) text = text.replace(/\\u00e3/g, "ã"); // raw non-ASCII, as a model may write it
  if (random() < 0.2) text = text.replace(/,/g, ", "); // spaces the re-serialised form drops
  if (random() < 0.2) text = text.replace(/1500\.0/g, "1.5e3"); // a number json.dumps writes differently
  if (random() < 0.5) text = " " + text; // the dummy-prefix space of the first piece
  if (random() < 0.3) text = text.slice(0, Math.floor(random() * text.length)); // cut by maxTokens
  if (random() < 0.1) text = "not json get_weather " + text;
  return "<tool_call>" + text;
}

test("the deltas add up to the final text (less its leading space where the answer began as JSON and did not parse), and never run ahead of it", () => {
  const random = rng(7);
  for (let round = 0; round < 2000; round++) {
    const decoded = answer(random);
    const final = outputText(decoded, nameMap);
    const stream = new TextStream(nameMap);
    let shown = "";
    for (let end = 0; end < decoded.length; ) {
      end = Math.min(decoded.length, end + 1 + Math.floor(random() * 6));
      shown += stream.update(decoded.slice(0, end));
      assert.ok(final.startsWith(shown) || final.trimStart().startsWith(shown), `round ${round}: shown ${JSON.stringify(shown)} is not a prefix of ${JSON.stringify(final)}`);
    }
    shown += stream.finish(final);
    let parses = true;
    try {
      JSON.parse(decoded.slice("<tool_call>".length));
    } catch {
      parses = false;
    }
    if (parses) assert.is(shown, final, `round ${round}`);
    else assert.ok(shown === final || shown === final.trimStart(), `round ${round}: ${JSON.stringify(shown)} vs ${JSON.stringify(final)}`);
  }
});

test("a JSON answer shows its complete values as they arrive, names restored", () => {
  const stream = new TextStream(nameMap);
  const steps = ["<tool_call>", " [", '{"name":"get_', 'weather","argu', 'ments":{"city":"Pa', 'ris"}', "}]"];
  const deltas = [];
  let decoded = "";
  for (const piece of steps) deltas.push(stream.update((decoded += piece)));
  assert.equal(deltas, ["", "[", "{", '"name":"getWeather"', ',"arguments":{', '"city":"Paris"}', "}]"]);
  assert.is(stream.finish(outputText(decoded, nameMap)), "");
});
test.run();

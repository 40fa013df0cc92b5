// The browser playground (playground/) and `needle-wasm playground` (the
// built dist/cli.js), end to end: the server's headers, MIME types and
// refusal of every path outside its folders; --open with and without an
// opener; then the page in Debian's Chromium (playwright-core, as
// tests/runtimes.test.ts): a preset on the demo model against the Node API,
// the fixture checkpoint and tokenizer chosen through the file input against
// the goldens (text, tokens, forced and constraint-changed tokens), an
// invalid tools JSON, a shared link, threads when isolated and not, a phone
// -sized screen, and a screenshot that is not blank.
// The suite runs after `npm run build`: dist/ and build/ must exist.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { startPlaygroundServer, urlSegments } from "../lib/cli/playground-server.ts";
import { FIXTURES, readFixtureJson } from "./helpers.ts";
import { CLI, ROOT, afterLoad, callRows, chips, launchChromium, openPage as openIn, runOnce, settled, startCli, stat, stop, type Served } from "./playground-helpers.ts";

type Api = typeof import("../lib/index.ts");

const WEIGHTS = `${FIXTURES}tiny/needle_tiny.p4_numpy1.pkl`;
const TOKENIZER = `${FIXTURES}tokenizer/needle_test.model`;
const goldens = readFixtureJson("tiny/model_goldens.json");
const golden = (id: string) => goldens.cases.find((c: { id: string }) => c.id === id);
const dist: Api = await import(join(ROOT, "dist/index.js"));
const scratch = mkdtempSync(join(tmpdir(), "needle-playground-"));
/** How the page shows a confidence the package reported: 3 places, or "—" for none. */
const shown = (confidence: unknown) => (typeof confidence === "number" ? confidence.toFixed(3) : "—");
/** The calls table's rows for `result` (CallResult may or may not declare confidence: read it as the page does). */
const expectedRows = (result: { calls: object[] }) =>
  result.calls.map((c, i) => {
    const { name, arguments: args, confidence } = c as { name: string; arguments: unknown; confidence?: unknown };
    return [String(i + 1), name, JSON.stringify(args), shown(confidence)];
  });

/** Run the command to its end (for usage errors). */
function runCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, "playground", ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request with `path` sent exactly as written (no URL normalisation, unlike fetch). */
function raw(base: string, path: string, method = "GET"): Promise<Reply> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

// ---------------------------------------------------------------- the server

test("playground server: the page, dist/ and the .wasm with COOP/COEP, their MIME types and lengths; / redirects to the page", async () => {
  const served = await startCli(["--port", "0"]);
  try {
    assert.match(served.url, /^http:\/\/127\.0\.0\.1:\d+\/playground\/$/);
    const page = await raw(served.url, "/playground/");
    assert.is(page.status, 200);
    assert.is(page.headers["content-type"], "text/html; charset=utf-8");
    assert.is(page.headers["cross-origin-opener-policy"], "same-origin");
    assert.is(page.headers["cross-origin-embedder-policy"], "require-corp");
    assert.ok(page.body.equals(readFileSync(join(ROOT, "playground/index.html"))), "the page's bytes");
    const types: Record<string, string> = {
      "/build/needle.wasm": "application/wasm",
      "/build/needle-mt.wasm": "application/wasm",
      "/dist/index.js": "text/javascript; charset=utf-8",
      "/playground/main.js": "text/javascript; charset=utf-8",
      "/playground/style.css": "text/css; charset=utf-8",
      "/weights/needle-demo.needle": "application/octet-stream",
    };
    for (const [path, type] of Object.entries(types)) {
      const head = await raw(served.url, path, "HEAD");
      assert.is(head.status, 200, path);
      assert.is(head.headers["content-type"], type, path);
      assert.is(head.headers["content-length"], String(statSync(join(ROOT, path)).size), `${path}: length`);
      assert.is(head.headers["cross-origin-embedder-policy"], "require-corp", path);
    }
    const root = await raw(served.url, "/?x=1");
    assert.is(root.status, 302);
    assert.is(root.headers.location, "/playground/?x=1");
    assert.is((await raw(served.url, "/playground/", "POST")).status, 405);
  } finally {
    await stop(served);
  }
});

test("playground server: no path outside playground/, dist/, build/ and weights/ is served (traversal, encoded dots and slashes, backslashes, NUL, other folders)", async () => {
  const served = await startCli(["--port", "0"]);
  const secret = readFileSync(join(ROOT, "package.json"));
  try {
    const paths = [
      "/package.json", "/lib/session.ts", "/tests/playground.test.ts", "/node_modules/uvu/package.json",
      "/../package.json", "/playground/../package.json", "/playground/%2e%2e/package.json", "/playground/%2E%2E/package.json",
      "/dist/..%2f..%2fpackage.json", "/dist/%2e%2e%2fpackage.json", "/playground/..%5cpackage.json", "/playground/..\\package.json",
      "/weights/demo/../../package.json", "/build/./needle.wasm", "//package.json", "/playground//index.html",
      "/playground/index.html%00", "/playground/%00", "/dist/%2e%2e/%2e%2e/etc/passwd", "/playground/%ZZ", "/dist/", "/dist",
    ];
    for (const path of paths) {
      const reply = await raw(served.url, path);
      assert.ok(reply.status === 404, `${path}: status ${reply.status}`);
      assert.ok(!reply.body.includes(secret.subarray(0, 64)), `${path}: leaked package.json`);
    }
  } finally {
    await stop(served);
  }
});

test("playground server: a symlink inside a served folder that points outside it is not followed; urlSegments refuses unsafe segments", async () => {
  const root = join(scratch, "root");
  mkdirSync(join(root, "playground"), { recursive: true });
  writeFileSync(join(root, "playground/index.html"), "<p>ok</p>");
  writeFileSync(join(scratch, "secret.txt"), "secret");
  symlinkSync(join(scratch, "secret.txt"), join(root, "playground/link.txt"));
  const server = await startPlaygroundServer(root, "127.0.0.1", 0);
  try {
    assert.is((await raw(server.url, "/playground/")).body.toString(), "<p>ok</p>");
    assert.is((await raw(server.url, "/playground/link.txt")).status, 404);
  } finally {
    await server.close();
  }
  assert.equal(urlSegments("/playground/a.js"), ["playground", "a.js"]);
  assert.equal(urlSegments("/playground/"), ["playground", "index.html"]);
  for (const bad of ["/a/../b", "/a/%2e%2e/b", "/a/%2fb", "/a/%5cb", "/a/b%00", "/a//b", "/a/%E0%A4%A", "a/b"]) assert.is(urlSegments(bad), null, bad);
});

test("playground: --open runs the platform opener with the page's address; without one it prints a note and keeps serving", async () => {
  if (process.platform !== "linux") return; // the opener checked here is xdg-open
  const bin = join(scratch, "bin");
  mkdirSync(bin);
  const opened = join(scratch, "opened.txt");
  writeFileSync(join(bin, "xdg-open"), `#!/bin/sh\necho "$1" > ${JSON.stringify(opened)}\n`);
  chmodSync(join(bin, "xdg-open"), 0o755);
  const served = await startCli(["--port", "0", "--open"], { PATH: bin });
  try {
    for (let i = 0; i < 100 && !existsSync(opened); i++) await new Promise((r) => setTimeout(r, 50));
    assert.is(readFileSync(opened, "utf8").trim(), served.url);
  } finally {
    await stop(served);
  }
  const empty = join(scratch, "empty");
  mkdirSync(empty);
  const without = await startCli(["--port", "0", "--open"], { PATH: empty });
  try {
    for (let i = 0; i < 100 && !without.stderr().includes("could not open"); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(without.stderr(), `could not open a browser (xdg-open: ENOENT); open ${without.url} yourself`);
    assert.is((await raw(without.url, "/playground/")).status, 200, "still serving");
  } finally {
    await stop(without);
  }
});

test("playground: usage errors exit 2; a port in use exits 1 with PORT_IN_USE", async () => {
  for (const args of [["--port", "x"], ["--port", "65536"], ["--port"], ["extra"], ["--open=1"]]) {
    const { code, stderr } = await runCli(args);
    assert.is(code, 2, `${args.join(" ")}: ${stderr}`);
    assert.match(stderr, /^needle-wasm playground: .* \(see needle-wasm playground --help\)\n$/);
  }
  const served = await startCli(["--port", "0"]);
  try {
    const { code, stderr } = await runCli(["--port", new URL(served.url).port]);
    assert.is(code, 1);
    assert.match(stderr, /^needle-wasm playground: PORT_IN_USE: port \d+ on 127\.0\.0\.1 is in use/);
  } finally {
    await stop(served);
  }
});

// ---------------------------------------------------------------- the page in Chromium

let browser: Browser;
let served: Served;

const openPage = (url: string, viewport?: { width: number; height: number }) => openIn(browser, url, viewport);

test.before(async () => {
  browser = await launchChromium();
  served = await startCli(["--port", "0"]);
});

test.after(async () => {
  await browser?.close();
  if (served) await stop(served);
  rmSync(scratch, { recursive: true, force: true });
});

test("chromium: a preset on the demo model, run with Enter: the calls, prompt and generated tokens and ranking are the Node API's, with every timing shown", async () => {
  const { page, errors, requested } = await openPage(served.url);
  await settled(page);
  await page.selectOption("#preset", "smart-home");
  const query = await page.inputValue("#query");
  const tools = await page.inputValue("#tools");
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { outputs: string[] }).outputs = seen;
    new MutationObserver(() => seen.push(document.getElementById("output")!.textContent!)).observe(document.getElementById("output")!, { childList: true, characterData: true, subtree: true });
  });
  await runOnce(page, "enter");

  const needle = await dist.Needle.load();
  const expected = await needle.call(query, tools);
  const prompt = needle.prompt(query, tools);
  assert.ok(expected.calls.length > 0, "the preset makes the demo model call a tool");
  assert.equal(await callRows(page), expectedRows(expected));
  assert.equal(await page.$$eval("#calls thead th", (ths) => ths.map((th) => th.textContent)), ["#", "name", "arguments", "confidence"]);
  assert.is(await page.textContent("#raw-text"), expected.text);
  assert.is(await page.textContent("#output"), expected.text, "the output ends as the final text");
  const outputs = (await page.evaluate(() => (window as unknown as { outputs: string[] }).outputs)).filter((t) => t !== "");
  assert.ok(outputs.length >= expected.tokens.length / 2, `the output grew as tokens came (${outputs.length} updates for ${expected.tokens.length} tokens)`);
  for (let i = 1; i < outputs.length - 1; i++) assert.ok(outputs[i]!.startsWith(outputs[i - 1]!), `streamed output ${i} extends the one before`);

  // Everything the page loaded ships in the npm package ("files" in package.json).
  const files: string[] = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).files;
  const shipped = (path: string) => files.some((f) => (f.endsWith("/") ? path.startsWith(`/${f}`) : path === `/${f}`));
  const loaded = [...new Set(requested)].map((p) => (p.endsWith("/") ? `${p}index.html` : p));
  assert.ok(loaded.includes("/build/needle.wasm") && loaded.includes("/weights/needle-demo.needle"), loaded.join(" "));
  assert.equal(loaded.filter((p) => !shipped(p)), [], "loaded by the page but not in the package");

  const promptChips = await chips(page, "prompt-tokens");
  assert.equal(promptChips.map((c) => c.id), prompt.encoderIds);
  assert.equal(promptChips.map((c) => c.text), prompt.encoderIds.map((id) => needle.tokenizer.idToPiece(id)));
  const queryLength = needle.tokenizer.encode(query).length;
  assert.equal(promptChips.map((c) => c.cls.split(" ")[1]), prompt.encoderIds.map((_, i) => (i < queryLength ? "query" : i === queryLength ? "marker" : "tools")));
  const generated = await chips(page, "generated-tokens");
  assert.equal(generated.map((c) => c.id), [...expected.tokens, needle.tokenizer.eosId]);
  assert.ok(generated.every((c) => !c.cls.includes("forced")), "nothing forced without a prefix");

  assert.is(await stat(page, "prompt"), String(prompt.encoderIds.length));
  assert.is(await stat(page, "truncated"), "no");
  assert.is(await stat(page, "model"), "f16, d_model 192, 1 thread");
  for (const key of ["load", "first-token", "total"]) assert.match(await stat(page, key), /^\d+(\.\d+)? ms$/, key);
  assert.match(await stat(page, "prefill"), /^\d+(\.\d+)? ms · \d+ tokens\/s$/);
  assert.match(await stat(page, "decode"), new RegExp(`^${expected.tokens.length} tokens · \\d+ tokens/s$`));
  assert.is(await stat(page, "finish"), "stop (EOS)");

  const ranked = await needle.rank(query, tools);
  const names = dist.prepareTools(tools).names;
  assert.equal(await page.$$eval("#ranking li .name", (els) => els.map((e) => e.textContent)), ranked.map((r) => names[r.index]));
  assert.equal(await page.$$eval("#ranking li .score", (els) => els.map((e) => e.textContent)), ranked.map((r) => r.score.toFixed(3)));
  assert.equal(errors, []);
  needle.dispose();
  await page.close();
});

test("chromium: the fixture checkpoint and tokenizer through the file input give the goldens' text and tokens, forced and constraint-changed tokens marked as the reference's trace says", async () => {
  const { page, errors } = await openPage(served.url);
  await settled(page);
  await page.setInputFiles("#model-files", [WEIGHTS, TOKENIZER]);
  await page.waitForFunction(() => document.getElementById("model-status")!.textContent!.includes("needle_tiny"));
  await settled(page);
  assert.ok(await page.isChecked("input[name=model][value=files]"));
  assert.is(await page.isEnabled("#dtype"), true, "dtype applies to a checkpoint");

  // A call under the reference's constraint (the golden runs' decoding) that stops on EOS.
  await page.click("#options summary");
  await page.selectOption("#constrained", "1");
  const email = golden("readme_email");
  await page.fill("#tools", email.tools);
  await page.fill("#query", email.query);
  await runOnce(page);
  assert.is(await page.textContent("#raw-text"), email.constrained.text);
  assert.equal((await chips(page, "generated-tokens")).map((c) => c.id), [...email.constrained.ids, 1]);

  // A forced prefix, where the constraints then choose the tool name.
  const camel = golden("camel_multi");
  const run = camel.forced[0];
  await page.fill("#tools", camel.tools);
  await page.fill("#query", camel.query);
  await page.fill("#prefix", run.forced_text);
  await page.fill("#max-tokens", String(run.max_gen_len - 1));
  await runOnce(page);
  assert.is(await page.textContent("#raw-text"), run.text);
  const generated = await chips(page, "generated-tokens");
  assert.equal(generated.map((c) => c.id), [...run.ids, ...(run.stopped_on_eos ? [1] : [])]);
  const marked = (cls: string) => generated.flatMap((c, i) => (c.cls.split(" ").includes(cls) ? [i] : []));
  assert.equal(marked("forced"), run.forced_ids.map((_: number, i: number) => i));
  const changed = run.constrained_steps.filter((s: { forced: boolean; raw_argmax: number; chosen: number }) => !s.forced && s.raw_argmax !== s.chosen).map((s: { step: number }) => s.step);
  assert.ok(changed.length > 0, "the golden run has steps the constraints changed");
  assert.equal(marked("changed"), changed);
  // The same steps in words, for the keyboard and touch screens (a chip's title needs a mouse).
  const tokenizer = await dist.Tokenizer.load(TOKENIZER);
  const piece = (id: number) => JSON.stringify(tokenizer.idToPiece(id));
  const steps = run.constrained_steps.filter((s: { forced: boolean; raw_argmax: number; chosen: number }) => !s.forced && s.raw_argmax !== s.chosen);
  assert.equal(
    await page.$$eval("#changed-steps li", (lis) => lis.map((li) => li.textContent)),
    steps.map((s: { step: number; raw_argmax: number; chosen: number }) => `step ${s.step}: ${piece(s.chosen)} (id ${s.chosen}) instead of the model's own first choice ${piece(s.raw_argmax)} (id ${s.raw_argmax})`),
  );

  // Another dtype reloads the checkpoint in that format, and the page still runs.
  await page.selectOption("#dtype", "int8");
  await settled(page);
  assert.match((await page.textContent("#model-status")) ?? "", "needle_tiny.p4_numpy1.pkl + needle_test.model; int8, d_model 64");
  await runOnce(page);
  assert.is(await stat(page, "model"), "int8, d_model 64, 1 thread");
  assert.match(page.url(), /[#&]dtype=int8(&|$)/);
  assert.equal(errors, []);
  await page.close();
});

test("chromium: files dropped on the page are told apart by content and loaded; a checkpoint alone or a file of another kind is refused with the reason", async () => {
  const { page, errors } = await openPage(served.url);
  await settled(page);
  const drop = (files: { name: string; base64: string }[]) => page.evaluate((list) => {
    const transfer = new DataTransfer();
    for (const f of list) transfer.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name));
    document.getElementById("tools")!.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, files);
  // Names that say nothing: the kinds come from the bytes.
  const checkpoint = { name: "a.bin", base64: readFileSync(WEIGHTS).toString("base64") };
  const tokenizer = { name: "b.bin", base64: readFileSync(TOKENIZER).toString("base64") };
  await drop([checkpoint]);
  await page.waitForFunction(() => document.getElementById("model-files-status")!.textContent!.includes("checkpoint"));
  assert.is(await page.textContent("#model-files-status"), "a.bin is a checkpoint: add its tokenizer (needle.model)");
  await drop([{ name: "notes.txt", base64: Buffer.from("hello").toString("base64") }]);
  await page.waitForFunction(() => document.getElementById("model-files-status")!.textContent!.startsWith("notes.txt"));
  assert.is(await page.textContent("#model-files-status"), "notes.txt is not a .needle bundle, a Needle checkpoint (pickle) or a SentencePiece .model");
  await drop([tokenizer, checkpoint]);
  await page.waitForFunction(() => document.getElementById("model-status")!.textContent!.includes("a.bin + b.bin"));
  await settled(page);
  assert.match((await page.textContent("#model-status")) ?? "", "f32, d_model 64");
  assert.equal(errors, []);
  await page.close();
});

test("chromium: the calls table shows each call's confidence, and — where a call has none; under [] the no-call confidence (made-up results)", async () => {
  const { page } = await openPage(served.url);
  // A string, run as the page's own module code would (no transpiler helpers, no types).
  const seen = await page.evaluate(`(async () => {
    const { renderCalls } = await import("./render.js");
    const table = document.getElementById("calls");
    const note = document.getElementById("calls-note");
    const seen = () => ({
      head: [...table.tHead.querySelectorAll("th")].map((th) => th.textContent),
      cells: [...table.tBodies[0].querySelectorAll("tr")].map((tr) => [...tr.children].map((td) => td.textContent)),
      note: note.textContent,
      noCall: note.querySelector(".confidence")?.textContent ?? null,
    });
    const out = [];
    renderCalls(table, note, { calls: [{ name: "f", arguments: { a: 1 }, confidence: 0.87654 }, { name: "g", arguments: {} }] });
    out.push(seen());
    renderCalls(table, note, { calls: [{ name: "f", arguments: { a: 1 } }] });
    out.push(seen());
    renderCalls(table, note, { calls: [], noCallConfidence: 0.25 });
    out.push(seen());
    renderCalls(table, note, { calls: [] });
    out.push(seen());
    return out;
  })()`);
  const head = ["#", "name", "arguments", "confidence"];
  const none = "No call: the model answered [] (no listed tool fits). Confidence that none fits: ";
  assert.equal(seen, [
    { head, cells: [["1", "f", '{"a":1}', "0.877"], ["2", "g", "{}", "—"]], note: "", noCall: null },
    { head, cells: [["1", "f", '{"a":1}', "—"]], note: "", noCall: null },
    { head, cells: [], note: `${none}0.250`, noCall: "0.250" },
    { head, cells: [], note: `${none}—`, noCall: "—" },
  ]);
  await page.close();
});

test("chromium: the confidence column and the no-call confidence are the package's own (result.calls[i].confidence, result.noCallConfidence), — where it reports none", async () => {
  const { page, errors } = await openPage(served.url);
  await settled(page);
  const needle = await dist.Needle.load();
  const tools = await page.inputValue("#tools");
  await page.click("#options summary");
  // A call, and an answer of [] (nothing in the weather preset tells a joke), under each constraint.
  const modes = [["1", true], ["schema", "schema"], ["0", false]] as const;
  for (const [value, constrained] of modes) {
    await page.selectOption("#constrained", value);
    for (const query of ["What's the weather in Paris?", "Tell me a joke"]) {
      await page.fill("#query", query);
      await runOnce(page);
      const expected = await needle.call(query, tools, { constrained });
      const what = `${query} (constrained: ${constrained})`;
      assert.equal(await callRows(page), expectedRows(expected), what);
      if (constrained !== false) assert.is(expected.calls.length === 0, query === "Tell me a joke", `${what}: ${expected.text}`);
      if (expected.calls.length === 0 && expected.error === undefined) {
        assert.is(await page.textContent("#calls-note .confidence"), shown(expected.noCallConfidence), what);
      }
      // The schema constraint reports both (README: constrained decoding); the others neither.
      const numbers = [...expected.calls.map((c) => c.confidence), ...(expected.calls.length === 0 ? [expected.noCallConfidence] : [])];
      assert.ok(numbers.every((n) => (constrained === "schema" ? typeof n === "number" && n >= 0 && n <= 1 : n === undefined)), `${what}: ${numbers}`);
    }
  }
  needle.dispose();
  assert.equal(errors, []);
  await page.close();
});

test("chromium: an invalid tools JSON shows the package's error code and message inline and at Run; the page then runs again", async () => {
  const { page, errors } = await openPage(served.url);
  await settled(page);
  const bad = '[{"name": "get_weather", "description": ';
  let expected = "";
  try {
    dist.prepareTools(bad);
  } catch (err) {
    expected = `${(err as { code: string }).code}: ${(err as Error).message}`;
  }
  assert.match(expected, /^BAD_TOOLS_JSON: /);
  await page.fill("#tools", bad);
  assert.is(await page.textContent("#tools-error"), expected);
  assert.is(await page.getAttribute("#tools", "aria-invalid"), "true");
  await page.click("#run");
  assert.is(await page.textContent("#run-error"), expected);
  assert.is(await page.getAttribute("body", "data-runs"), "0");
  await page.fill("#tools", "[]");
  await page.fill("#query", " ");
  await page.click("#run");
  assert.is(await page.textContent("#run-error"), "EMPTY_QUERY: the query is empty");
  await page.selectOption("#preset", "weather");
  assert.is(await page.textContent("#tools-error"), "");
  await runOnce(page);
  assert.ok(((await page.textContent("#calls tbody")) ?? "").includes("get_current_weather"));
  assert.equal(errors, []);
  await page.close();
});

test("chromium: a shared link restores the tools, query, options and model choice", async () => {
  const { page } = await openPage(served.url);
  await settled(page);
  const tools = JSON.stringify([{ name: "set_alarm", description: "Set an alarm.", parameters: { time: { type: "string", description: "Alarm time.", required: true } } }]);
  await page.fill("#tools", tools);
  await page.fill("#query", "wake me up at 7 am");
  await page.click("#options summary");
  await page.fill("#max-tokens", "40");
  await runOnce(page);
  const calls = await page.textContent("#calls tbody");
  const link = page.url();
  await page.close();

  const { page: again } = await openPage(link);
  await settled(again);
  assert.is(await again.inputValue("#tools"), tools);
  assert.is(await again.inputValue("#query"), "wake me up at 7 am");
  assert.is(await again.inputValue("#max-tokens"), "40");
  assert.is(await again.inputValue("#preset"), "");
  await runOnce(again);
  assert.is(await again.textContent("#calls tbody"), calls);
  // A case on local files asks for them again rather than running another model.
  // The change handler reads the files before it saves the link and loads: wait for that load, not the old state.
  await afterLoad(again, () => again.setInputFiles("#model-files", [WEIGHTS, TOKENIZER]));
  await settled(again);
  const filesLink = again.url();
  await again.close();
  const { page: third } = await openPage(filesLink);
  await settled(third, "waiting");
  assert.ok(await third.isChecked("input[name=model][value=files]"));
  assert.match((await third.textContent("#model-status")) ?? "", "needle_tiny.p4_numpy1.pkl + needle_test.model");
  await third.close();
});

test("chromium: threads when the page is cross-origin isolated (same tokens on 2 threads); 1 thread and the reason when it is not", async () => {
  const { page, errors } = await openPage(served.url);
  await settled(page);
  assert.is(await page.evaluate(() => crossOriginIsolated), true, "needle-wasm playground makes the page isolated");
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  const options = await page.$$eval("#threads option", (os) => os.map((o) => (o as HTMLOptionElement).value));
  assert.equal(options, Array.from({ length: Math.min(16, cores) }, (_, i) => String(i + 1)));
  await runOnce(page);
  const single = await chips(page, "generated-tokens");
  if (cores >= 2) {
    await page.selectOption("#threads", "2");
    await settled(page);
    assert.match((await page.textContent("#model-status")) ?? "", "2 threads");
    await runOnce(page);
    assert.is(await stat(page, "model"), "f16, d_model 192, 2 threads");
    assert.equal(await chips(page, "generated-tokens"), single);
  }
  assert.equal(errors, []);
  await page.close();

  // Any static host works; without COOP/COEP the page says why it has one thread.
  const { startServer } = (await import(`${ROOT}examples/browser/serve.mjs`)) as { startServer: () => Promise<{ url: string; close(): Promise<void> }> };
  const plain = await startServer();
  try {
    const { page: open } = await openPage(`${plain.url}playground/`);
    await settled(open);
    assert.is(await open.evaluate(() => crossOriginIsolated), false);
    assert.is(await open.isDisabled("#threads"), true);
    assert.match((await open.textContent("#threads-note")) ?? "", "this page is not isolated");
    await runOnce(open);
    assert.ok(((await open.textContent("#calls tbody")) ?? "").includes("get_current_weather"));
    await open.close();
  } finally {
    await plain.close();
  }
});

test("chromium: a prompt over 1024 tokens: the tools' tail is cut as the package cuts it, the stats say how much, the token view shows what is left", async () => {
  const { page, errors } = await openPage(served.url);
  await settled(page);
  const query = "What's the weather in Paris? ".repeat(105);
  const tools = await page.inputValue("#tools");
  await page.fill("#query", query);
  await runOnce(page);
  const needle = await dist.Needle.load();
  const prompt = needle.prompt(query, tools);
  const expected = await needle.call(query, tools);
  const queryLength = needle.tokenizer.encode(query).length;
  needle.dispose();
  const truncated = prompt.truncated!;
  assert.ok(truncated.toolsTokens > 0 && truncated.queryTokens === 0, JSON.stringify(truncated));
  assert.is(prompt.encoderIds.length, 1024);
  assert.is(await stat(page, "prompt"), "1024");
  assert.is(await stat(page, "truncated"), `yes: 0 query and ${truncated.toolsTokens} tools tokens dropped`);
  const promptChips = await chips(page, "prompt-tokens");
  assert.equal(promptChips.map((c) => c.id), prompt.encoderIds);
  assert.equal(promptChips.map((c) => c.cls.split(" ")[1]), prompt.encoderIds.map((_, i) => (i < queryLength ? "query" : i === queryLength ? "marker" : "tools")));
  assert.is(await page.textContent("#raw-text"), expected.text);
  assert.equal(errors, []);
  await page.close();
});

test("chromium: Esc or Stop ends a run at the next token; a model chosen during a run stops it before the old model goes, and the page runs on the new one", async () => {
  const { page, errors } = await openPage(served.url);
  await settled(page);
  const runError = async () => (await page.textContent("#run-error")) ?? "";
  // Run, then Esc (or Stop: the Run button while running) before the first token comes.
  for (const stopWith of ["Escape", "Stop"]) {
    await page.evaluate((how) => {
      const button = document.getElementById("run")!;
      button.click();
      if (how === "Escape") document.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
      else button.click();
    }, stopWith);
    await page.waitForFunction(() => document.getElementById("run-error")!.textContent !== "");
    await settled(page);
    assert.match(await runError(), /^Stopped after \d+ tokens? \(Esc or Stop\)\.$/, stopWith);
    assert.is(await page.getAttribute("body", "data-runs"), "0", `${stopWith}: a stopped run is not a run`);
    assert.is(await page.textContent("#run"), "Run");
  }
  // Another model chosen while a run is going: the run stops, then the demo model is let go.
  await page.evaluate(() => {
    document.getElementById("run")!.click();
    (document.querySelector("input[name=model][value=files]") as HTMLInputElement).click();
  });
  await page.waitForFunction(() => document.getElementById("run-error")!.textContent !== "" && document.body.dataset.state !== "running");
  assert.is(await runError(), "Stopped: another model was chosen.");
  await settled(page, "waiting");
  await page.check("input[name=model][value=demo]");
  await settled(page);
  await runOnce(page);
  assert.is(await runError(), "");
  assert.ok(((await page.textContent("#calls tbody")) ?? "").includes("get_current_weather"));
  assert.equal(errors, []);
  await page.close();
});

test("chromium: works from the keyboard: Ctrl+Enter in the tools, Tab to Run and Enter, arrow keys through the model choices, Enter on Options", async () => {
  const { page, errors } = await openPage(served.url);
  await settled(page);
  await page.focus("#tools");
  const before = Number(await page.getAttribute("body", "data-runs"));
  await page.keyboard.press("Control+Enter");
  await page.waitForSelector(`body[data-runs='${before + 1}'][data-state=ready]`);
  assert.ok(((await page.textContent("#calls tbody")) ?? "").includes("get_current_weather"));
  await page.focus("#query");
  await page.keyboard.press("Tab");
  assert.is(await page.evaluate(() => document.activeElement?.id), "run", "Tab from the query reaches Run");
  await page.keyboard.press("Enter");
  await page.waitForSelector(`body[data-runs='${before + 2}'][data-state=ready]`);

  // The model choices are one radio group: the arrow keys move through them, each choice applied at once.
  await page.focus("input[name=model][value=demo]");
  await page.keyboard.press("ArrowRight");
  await settled(page, "waiting");
  assert.ok(await page.isChecked("input[name=model][value=files]"));
  await page.keyboard.press("ArrowRight");
  await settled(page, "waiting");
  assert.ok(await page.isChecked("input[name=model][value=hub]"));
  await page.keyboard.press("ArrowRight");
  await settled(page);
  assert.ok(await page.isChecked("input[name=model][value=demo]"));

  await page.focus("#options summary");
  await page.keyboard.press("Enter");
  assert.is(await page.evaluate(() => (document.getElementById("options") as HTMLDetailsElement).open), true);
  await page.keyboard.press("Tab");
  assert.is(await page.evaluate(() => document.activeElement?.id), "constrained", "Tab goes on into the options");
  assert.equal(errors, []);
  await page.close();
});

test("chromium: tool choice: a named tool is forced as the reference's prefix (those tokens marked forced) or by the schema grammar (nothing forced); required; none decodes nothing; the choice stays in the link", async () => {
  const { page, errors } = await openPage(served.url);
  await settled(page);
  await page.selectOption("#preset", "smart-home");
  await page.click("#options summary");
  const query = await page.inputValue("#query");
  const tools = await page.inputValue("#tools");
  const needle = await dist.Needle.load();
  const forcedOf = (prefix: string) => 1 + needle.tokenizer.encode(prefix).length;
  const marked = (chipList: { cls: string }[]) => chipList.flatMap((c, i) => (c.cls.split(" ").includes("forced") ? [i] : []));
  // lib/constrain/choice.ts: outside schema mode, { name } forces `<tool_call>` + `[{"name":"<snake_case name>","arguments":{` and "required" `<tool_call>` + `[{"name":"`.
  const cases = [
    { constrained: "1", choice: "name:set_temperature", toolChoice: { name: "set_temperature" }, forced: forcedOf('[{"name":"set_temperature","arguments":{') },
    { constrained: "1", choice: "required", toolChoice: "required", forced: forcedOf('[{"name":"') },
    { constrained: "schema", choice: "name:set_temperature", toolChoice: { name: "set_temperature" }, forced: 0 },
    { constrained: "schema", choice: "required", toolChoice: "required", forced: 0 },
  ] as const;
  for (const c of cases) {
    await page.selectOption("#constrained", c.constrained);
    await page.selectOption("#tool-choice", c.choice);
    await runOnce(page);
    const what = `${c.choice} (${c.constrained})`;
    const expected = await needle.call(query, tools, { constrained: c.constrained === "1" ? true : "schema", toolChoice: c.toolChoice });
    assert.is(await page.textContent("#raw-text"), expected.text, what);
    assert.equal(await callRows(page), expectedRows(expected), what);
    if (c.constrained === "schema") {
      assert.ok(expected.calls.length > 0, `${what}: the grammar makes a call`);
      if (c.choice !== "required") assert.equal(expected.calls.map((call) => call.name), ["set_temperature"], what);
    }
    const generated = await chips(page, "generated-tokens");
    assert.equal(generated.map((chip) => chip.id), [...expected.tokens, ...(expected.steps > expected.tokens.length ? [1] : [])], what);
    assert.equal(marked(generated), Array.from({ length: c.forced }, (_, i) => i), what);
  }
  // "none": the answer is [] and nothing is decoded.
  await page.selectOption("#tool-choice", "none");
  await runOnce(page);
  const none = await needle.call(query, tools, { constrained: "schema", toolChoice: "none" });
  assert.is(await page.textContent("#raw-text"), none.text);
  assert.is(await page.textContent("#calls-note .confidence"), shown(none.noCallConfidence));
  assert.equal(await chips(page, "generated-tokens"), []);
  assert.is(await page.textContent("#generated-count"), "(nothing decoded: tool choice none)");
  needle.dispose();

  await page.selectOption("#tool-choice", "name:set_temperature");
  const link = page.url();
  assert.match(link, /[#&]choice=name%3Aset_temperature(&|$)/);
  assert.not.match(link, /constrained=/, "schema, the default, is left out of the link");
  await page.close();
  const { page: again } = await openPage(link);
  await settled(again);
  assert.is(await again.inputValue("#tool-choice"), "name:set_temperature");
  assert.is(await again.inputValue("#constrained"), "schema");
  assert.is(await again.evaluate(() => (document.getElementById("options") as HTMLDetailsElement).open), true, "the options a link sets are shown");
  assert.equal(errors, []);
  await again.close();
});

test("chromium: readable on a phone-sized screen (no sideways scrolling), and a screenshot that is not blank", async () => {
  const { page } = await openPage(served.url, { width: 390, height: 844 });
  await settled(page);
  await runOnce(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.is(overflow, 0, "page wider than the screen");
  const wider = await page.$$eval("table, .tokens, .ranking, .hub .row", (els) => els.filter((e) => e.scrollWidth > e.clientWidth).map((e) => e.id || e.className));
  assert.equal(wider, [], "parts that scroll sideways on a phone");
  const png = await page.screenshot({ fullPage: true });
  await page.close();
  const { page: blank } = await openPage("about:blank");
  const pixels = await blank.evaluate(async (data) => {
    const img = new Image();
    img.src = `data:image/png;base64,${data}`;
    await img.decode();
    const canvas = Object.assign(document.createElement("canvas"), { width: img.width, height: img.height });
    const ctx = canvas.getContext("2d")!;
    ctx.drawImage(img, 0, 0);
    const { data: px } = ctx.getImageData(0, 0, img.width, img.height);
    let sum = 0;
    let sumSq = 0;
    const colours = new Set<number>();
    for (let i = 0; i < px.length; i += 4) {
      const luma = 0.299 * px[i]! + 0.587 * px[i + 1]! + 0.114 * px[i + 2]!;
      sum += luma;
      sumSq += luma * luma;
      colours.add((px[i]! << 16) | (px[i + 1]! << 8) | px[i + 2]!);
    }
    const n = px.length / 4;
    return { width: img.width, height: img.height, variance: sumSq / n - (sum / n) ** 2, colours: colours.size };
  }, png.toString("base64"));
  await blank.close();
  assert.is(pixels.width, 390);
  assert.ok(pixels.height > 844, `the full page is taller than the screen (${pixels.height})`);
  assert.ok(pixels.variance > 100, `luma variance ${pixels.variance}`);
  assert.ok(pixels.colours > 50, `${pixels.colours} colours`);
});

test.run();

// Needle 2's prompt rendering against the goldens' rendered text and ids
// (made by the reference's render_example), and against CPython's json.dumps
// for tools with non-ASCII text and nested parameters.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readCact } from "../lib/needle2/cact.ts";
import { needle2PromptIds, renderNeedle2Prompt } from "../lib/needle2/prompt.ts";
import { Needle2Tokenizer, parseTokenizerBlob } from "../lib/needle2/tokenizer.ts";
import { NEEDLE2_MODELS, readNeedle2Golden, readNeedle2Model } from "./needle2-helpers.ts";
import { runPython } from "./tokenizer-helpers.ts";

const file = readCact(readNeedle2Model("tiny_a"));
const blob = file.tokenizer!;
const tok = new Needle2Tokenizer(parseTokenizerBlob(file.bytes.subarray(blob.offset, blob.offset + blob.nbytes), file.header.vocab));

test("every golden chat case renders to the recorded prompt text and ids", () => {
  let chats = 0;
  for (const m of NEEDLE2_MODELS) {
    const g = readNeedle2Golden(m);
    for (const c of g.cases) {
      if (c.prompt.query === undefined) continue;
      chats++;
      const text = renderNeedle2Prompt({ query: c.prompt.query, tools: c.prompt.tools ?? [], system: c.prompt.system });
      assert.is(text, c.prompt_text);
      assert.equal(needle2PromptIds(tok, text, g.header.max_seq_len as number), c.prompt_ids);
    }
  }
  assert.is(chats, 8);
});

test("tools are compact ensure_ascii JSON in the given key order, as CPython writes them", () => {
  const tools = [{ name: "météo", description: "Wetter \u201cheute\u201d 😀", parameters: { type: "object", properties: { z: { type: "string" }, a: { enum: [1, 2.5, null, true] } } } }];
  const want = runPython<string>(
    `import json, sys\nd = json.loads(sys.stdin.read())\nsys.stdout.write(json.dumps("<tools>" + json.dumps(d, separators=(",", ":")) + "</tools>"))`,
    tools,
  );
  assert.ok(renderNeedle2Prompt({ query: "q", tools }).includes(want));
});

test("ids are cut to max_seq_len - 1", () => {
  assert.is(needle2PromptIds(tok, "word ".repeat(500), 128).length, 127);
});

test.run();

// Needle 2's output read back into calls: training targets written by
// CPython exactly as the reference's render_example writes them, decoded
// through the fixture's tokenizer, come back as the answers and reasoning
// they were made from; cut-off and malformed outputs give typed errors.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readCact } from "../lib/needle2/cact.ts";
import { parseNeedle2Output } from "../lib/needle2/calls.ts";
import { Needle2Tokenizer, parseTokenizerBlob } from "../lib/needle2/tokenizer.ts";
import { readNeedle2Model } from "./needle2-helpers.ts";
import { runPython } from "./tokenizer-helpers.ts";

const file = readCact(readNeedle2Model("tiny_a"));
const blob = file.tokenizer!;
const tok = new Needle2Tokenizer(parseTokenizerBlob(file.bytes.subarray(blob.offset, blob.offset + blob.nbytes), file.header.vocab));

interface Example {
  reasoning: string;
  answers: { name: string; arguments: Record<string, unknown> }[];
}

const examples: Example[] = [
  { reasoning: "'paris' -> city", answers: [{ name: "get_weather", arguments: { city: "paris" } }] },
  { reasoning: "'ten minutes' -> minutes 10; 'jazz' -> query", answers: [{ name: "set_timer", arguments: { minutes: 10 } }, { name: "play_music", arguments: { query: "jazz" } }] },
  { reasoning: "", answers: [] },
  { reasoning: "nested \u201cquotes\u201d and é → ü", answers: [{ name: "send_email", arguments: { to: "finance@x.org", subject: "expenses \"Q3\"", tags: ["a", 1.5, null, true], meta: { depth: { n: -2 } } } }] },
];

// render_example's target: THINK_START + reasoning + THINK_END + "\n" + TOOL_CALL_START + compact JSON + TOOL_CALL_END + IM_END.
const targets = runPython<string[]>(
  `import json, sys
out = []
for ex in json.loads(sys.stdin.read()):
    out.append("<think>" + ex["reasoning"] + "</think>\\n" + "<tool_call>" + json.dumps(ex["answers"], separators=(",", ":")) + "</tool_call>" + "<|im_end|>")
sys.stdout.write(json.dumps(out))`,
  examples,
);

test("render_example targets, through the tokenizer and back, give their answers and reasoning", () => {
  examples.forEach((ex, i) => {
    const decoded = tok.decode(tok.encode(targets[i]!));
    const out = parseNeedle2Output(decoded);
    assert.is(out.error, undefined, `example ${i}: ${out.error?.message}`);
    assert.is(out.reasoning, ex.reasoning);
    assert.ok(out.closed);
    assert.equal(out.calls, ex.answers);
  });
});

test("names are restored to the caller's; the call text too", () => {
  const out = parseNeedle2Output(tok.decode(tok.encode(targets[1]!)), { set_timer: "setTimer" });
  assert.equal(out.calls.map((c) => c.name), ["setTimer", "play_music"]);
  assert.ok(out.callText.startsWith('[{"name":"setTimer"'));
});

test("without a reasoning block the call still parses; a cut-off call is INVALID_JSON", () => {
  const plain = parseNeedle2Output('<tool_call>[{"name":"f","arguments":{}}]</tool_call><|im_end|>');
  assert.is(plain.reasoning, null);
  assert.equal(plain.calls, [{ name: "f", arguments: {} }]);
  const unclosed = parseNeedle2Output('<think>x</think>\n<tool_call>[{"name":"f","arguments":{}}]<|im_end|>');
  assert.ok(!unclosed.closed);
  assert.equal(unclosed.calls, [{ name: "f", arguments: {} }]);
  const cut = parseNeedle2Output('<think>x</think>\n<tool_call>[{"name":"f","argu');
  assert.is(cut.error?.code, "INVALID_JSON");
  assert.is(cut.error?.text, '[{"name":"f","argu');
  assert.equal(cut.calls, []);
});

test("no call block, an unclosed reasoning block, and non-call JSON are typed errors", () => {
  assert.is(parseNeedle2Output("QQQQ").error?.code, "NO_TOOL_CALL");
  const thinking = parseNeedle2Output("<think>still going");
  assert.is(thinking.error?.code, "NO_TOOL_CALL");
  assert.is(thinking.reasoning, "still going");
  assert.is(parseNeedle2Output('<tool_call>{"name":"f"}</tool_call>').error?.code, "NOT_A_LIST");
  assert.is(parseNeedle2Output('<tool_call>[{"name":1,"arguments":{}}]</tool_call>').error?.code, "BAD_CALL");
});

test.run();

// `needle-wasm run`: one query against a tool list, printed as calls or JSON.

import { MAX_NEW_TOKENS, prepareTools, type CallOptions, type CallResult, type Needle } from "../index.ts";
import { UsageError, countOption, flag, requiredString, stringOption, type ParsedArgs } from "./args.ts";
import type { CliIO, Command } from "./command.ts";
import { MODEL_OPTIONS, STDIN_TIMEOUT_SECONDS, checkModelFiles, loadNeedle, modelFiles, readTools } from "./inputs.ts";
import { formatResult, resultJson, toJson, truncationNote } from "./output.ts";

export const runCommand: Command = {
  name: "run",
  summary: "Run one query against a list of tools and print the tool calls.",
  usage: "run --query TEXT --tools JSON|FILE [--weights FILE [--tokenizer FILE] | --model ID] [options]",
  options: {
    ...MODEL_OPTIONS,
    query: { type: "string", value: "TEXT", required: true, help: "the user's request" },
    tools: { type: "string", value: "JSON|FILE", required: true, help: "the tools: inline JSON, a JSON file, or - for stdin (see below)" },
    json: { type: "boolean", help: "print { calls, text, tokens, finishReason, error? } as one JSON document" },
    stream: { type: "boolean", help: "write the text as it is generated, then the calls (with --json: JSON lines)" },
    constrained: { type: "string", value: "schema|reference|none", help: "schema (default): only answers that parse and fit the tools' schemas; reference: tool names and argument keys, as the reference decodes; none" },
    "no-constrain": { type: "boolean", help: "do not constrain the answer at all (--constrained none)" },
    "max-tokens": { type: "string", value: "N", help: `most tokens to generate (1 to ${MAX_NEW_TOKENS}, default ${MAX_NEW_TOKENS})` },
    prefix: { type: "string", value: "TEXT", help: "force the answer to begin with TEXT" },
    "tool-choice": { type: "string", value: "NAME", help: "force a call of the tool NAME; or auto, none (no call) or required (at least one call)" },
    system: { type: "string", value: "TEXT", help: 'Needle 2 (.cact): system facts, e.g. "date: 2026-07-21; locale: en-US"' },
    "stdin-timeout": { type: "string", value: "SECONDS", help: `with --tools -: how long to wait for stdin to end (default ${STDIN_TIMEOUT_SECONDS}, 0 for no limit)` },
  },
  positionals: { min: 0, max: 0 },
  notes: [
    "--tools: a value starting with [ or { is the JSON itself; - reads the JSON from stdin;",
    "anything else is the path of a JSON file. Needle's flat tool format and OpenAI tool",
    "formats are accepted.",
    "",
    "--weights: a .needle bundle (needle-wasm convert) carries its tokenizer and weight format;",
    "a needle.pkl checkpoint needs --tokenizer, and is held as --dtype (default f32). A Needle 2",
    ".cact carries its tokenizer (--dtype f32 or int8; --constrained schema or none).",
    "",
    "Output: one line per call, `name {arguments}`; `no call` when there is none (with the",
    "model's text when it is not a list of calls). Exit code 0 whenever the model ran.",
    "",
    "examples:",
    `  needle-wasm run --weights needle.pkl --tokenizer needle.model \\`,
    `    --query "What's the weather in Paris?" \\`,
    `    --tools '[{"name":"get_weather","description":"Get current weather.","parameters":{"location":{"type":"string","required":true}}}]'`,
    `  needle-wasm run --weights needle-int8.needle --query "Text Bob that I'm late" --tools tools.json --json`,
  ],
  run,
};

async function run(args: ParsedArgs, io: CliIO): Promise<number> {
  const files = modelFiles(args);
  const query = requiredString(args, "query");
  const toolsValue = requiredString(args, "tools", " (a JSON list of tools, or the path of a JSON file)");
  const options = callOptions(args);
  await checkModelFiles(files);
  const tools = await readTools(toolsValue, stdinTimeout(args));
  prepareTools(tools); // bad tools fail here, before the weights load
  const needle = await loadNeedle(files, io.err);
  const printer = flag(args, "json") ? jsonPrinter : textPrinter;
  const streamed = flag(args, "stream");
  const result = streamed ? await streamCall(needle, query, tools, options, io, printer) : await needle.call(query, tools, options);
  io.out(printer.result(result, streamed));
  const note = printer === textPrinter ? truncationNote(result) : null;
  if (note) io.err.write(`${note}\n`);
  return 0;
}

/** The CallOptions the flags ask for; contradictory flags are usage errors. */
/** --stdin-timeout: seconds (a decimal number, at most a day), 0 for no limit. */
function stdinTimeout(args: ParsedArgs): number {
  const text = stringOption(args, "stdin-timeout");
  if (text === undefined) return STDIN_TIMEOUT_SECONDS;
  const seconds = /^[0-9]{1,5}(\.[0-9]{1,3})?$/.test(text) ? Number(text) : NaN;
  if (!(seconds <= 86400)) throw new UsageError(`--stdin-timeout must be a number of seconds from 0 to 86400, got ${JSON.stringify(text)}`);
  return seconds;
}

function callOptions(args: ParsedArgs): CallOptions {
  const prefix = stringOption(args, "prefix");
  const toolChoice = stringOption(args, "tool-choice");
  if (prefix !== undefined && toolChoice !== undefined) throw new UsageError("give either --prefix or --tool-choice, not both");
  const maxTokens = countOption(args, "max-tokens", 1, MAX_NEW_TOKENS);
  const system = stringOption(args, "system");
  const mode = stringOption(args, "constrained");
  if (mode !== undefined && !["schema", "reference", "none"].includes(mode)) throw new UsageError(`--constrained must be schema, reference or none, got ${JSON.stringify(mode)}`);
  if (mode !== undefined && flag(args, "no-constrain")) throw new UsageError("give either --constrained or --no-constrain, not both");
  const constrained = flag(args, "no-constrain") || mode === "none" ? false : (mode as "schema" | "reference" | undefined);
  const choice = toolChoice === "auto" || toolChoice === "none" || toolChoice === "required" ? toolChoice : toolChoice !== undefined ? { name: toolChoice } : undefined;
  return {
    ...(constrained !== undefined ? { constrained } : {}),
    ...(system !== undefined ? { system } : {}),
    ...(maxTokens !== undefined ? { maxTokens } : {}),
    ...(prefix !== undefined ? { prefix } : {}),
    ...(choice !== undefined ? { toolChoice: choice } : {}),
  };
}

/** How stream events and the result are written to stdout. */
interface Printer {
  token(event: { token: number; text: string }): string;
  result(result: CallResult, streamed: boolean): string;
}

/** One JSON document; when streaming, JSON lines: {type:"token",token,text} per token, then {type:"result",result}. */
const jsonPrinter: Printer = {
  token: (event) => `${toJson({ type: "token", token: event.token, text: event.text })}\n`,
  result: (result, streamed) => `${toJson(streamed ? { type: "result", result: resultJson(result) } : resultJson(result))}\n`,
};

/** Text deltas as they come; then, on a new line, the calls. */
const textPrinter: Printer = {
  token: (event) => event.text,
  result: (result, streamed) => (streamed ? "\n" : "") + formatResult(result, !streamed).map((line) => `${line}\n`).join(""),
};

/** Write each token's text delta as it comes; resolve to the final result. */
async function streamCall(needle: Needle, query: string, tools: string, options: CallOptions, io: CliIO, printer: Printer): Promise<CallResult> {
  let result: CallResult | undefined;
  for await (const event of needle.stream(query, tools, options)) {
    if (event.type === "token") io.out(printer.token(event));
    else result = event.result;
  }
  return result!;
}

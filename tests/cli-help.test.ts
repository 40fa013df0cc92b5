// Every command's help against its parser: the usage line names only
// declared options; an option shown outside brackets is one the command
// refuses to run without (and the help marks it "required"); one shown in
// brackets it runs without. Run in-process through the CLI's dispatch.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { COMMANDS, main } from "../lib/cli/dispatch.ts";
import { commandHelp, type CliIO } from "../lib/cli/command.ts";

function capture(): CliIO & { stdout: string; stderr: string } {
  const io = {
    stdout: "",
    stderr: "",
    out: (text: string) => void (io.stdout += text),
    err: { isTTY: false, write: (text: string) => void (io.stderr += text) },
  };
  return io;
}

/** The `--name` options of a usage line, split into those outside any brackets and those inside. */
function usageOptions(usage: string): { bare: string[]; bracketed: string[] } {
  const bare: string[] = [];
  const bracketed: string[] = [];
  let depth = 0;
  for (const token of usage.match(/\[|\]|--?[a-z][a-z-]*/g) ?? []) {
    if (token === "[") depth++;
    else if (token === "]") depth--;
    else (depth === 0 ? bare : bracketed).push(token.startsWith("--") ? token.slice(2) : token.slice(1));
  }
  return { bare, bracketed };
}

function longName(command: (typeof COMMANDS)[number], name: string): string {
  if (Object.hasOwn(command.options, name)) return name;
  const found = Object.entries(command.options).find(([, spec]) => spec.short === name);
  assert.ok(found, `${command.name}: the usage line names -${name}, which is not an option`);
  return found![0];
}

/** A value the option's parser accepts, for the runs that leave out another option. */
const SAMPLE: Record<string, string> = { query: "What's the weather in Paris?", tools: '[{"name":"get_weather","description":"Get the current weather for a city.","parameters":{"location":{"type":"string","description":"The city","required":true}}}]', dtype: "int8" };

test("usage lines name declared options; bare ones are exactly the required ones, and the help says so", () => {
  for (const command of COMMANDS) {
    const { bare, bracketed } = usageOptions(command.usage);
    const named = [...bare, ...bracketed].map((name) => longName(command, name));
    const required = Object.entries(command.options).filter(([, spec]) => spec.required).map(([name]) => name);
    assert.equal(bare.map((name) => longName(command, name)).sort(), [...required].sort(), `${command.name}: "${command.usage}"`);
    for (const name of named) assert.ok(Object.hasOwn(command.options, name), `${command.name}: --${name}`);
    const help = commandHelp(command);
    for (const name of required) assert.match(help, new RegExp(`--${name}\\b.*\\(required\\)`), `${command.name} --help marks --${name}`);
  }
});

test("each required option is enforced: without it the command exits 2 naming it", async () => {
  for (const command of COMMANDS) {
    const required = Object.entries(command.options).filter(([, spec]) => spec.required).map(([name]) => name);
    for (const missing of required) {
      const argv = [command.name, ...Array.from({ length: command.positionals.min }, (_, i) => `/nonexistent/input-${i}`)];
      for (const name of required) if (name !== missing) argv.push(`--${name}`, SAMPLE[name] ?? "/nonexistent/file");
      const io = capture();
      assert.is(await main(argv, io), 2, `${argv.join(" ")}: ${io.stderr}`);
      assert.match(io.stderr, `--${missing} is required`);
    }
  }
});

test("run and conformance need no --weights: the bundled demo model answers", async () => {
  const io = capture();
  assert.is(await main(["run", "--query", SAMPLE.query!, "--tools", SAMPLE.tools!, "--json"], io), 0, io.stderr);
  assert.equal(JSON.parse(io.stdout).calls[0].name, "get_weather");
  for (const name of ["run", "conformance"]) {
    const command = COMMANDS.find((c) => c.name === name)!;
    assert.ok(usageOptions(command.usage).bracketed.includes("weights"), `${name}: --weights is optional in the usage line`);
    assert.not.ok(command.options.weights!.required);
  }
});

test.run();

// The CLI's commands and their dispatch: argv in, exit code out
// (0 ok, 1 the command failed, 2 usage error). lib/cli/main.ts runs it.

import { NeedleError } from "../index.ts";
import { UsageError, parseArgs, wantsHelp } from "./args.ts";
import { HELP_OPTION_LINE, checkPositionals, commandHelp, type CliIO, type Command } from "./command.ts";
import { conformanceCommand } from "./conformance.ts";
import { convertCommand } from "./convert.ts";
import { packageVersion } from "./inputs.ts";
import { cacheCommand, pullCommand } from "./hub.ts";
import { inspectCommand } from "./inspect.ts";
import { columns } from "./output.ts";
import { playgroundCommand } from "./playground.ts";
import { runCommand } from "./run.ts";
import { serveCommand } from "./serve.ts";

export const COMMANDS: readonly Command[] = [runCommand, serveCommand, convertCommand, inspectCommand, conformanceCommand, playgroundCommand, pullCommand, cacheCommand];

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

function globalHelp(): string {
  return [
    "usage: needle-wasm <command> [options]",
    "",
    "Needle function calling from the command line (one SIMD WebAssembly engine).",
    "",
    "commands:",
    ...columns(COMMANDS.map((c) => [c.name, c.summary]), "  "),
    "",
    "options:",
    ...columns([[...HELP_OPTION_LINE], ["--version", "print the version"]], "  "),
    "",
    "Run `needle-wasm <command> --help` (or `needle-wasm help <command>`) for a command's options.",
    "Exit codes: 0 ok, 1 the command failed, 2 usage error. NEEDLE_DEBUG=1 prints stack traces.",
  ].join("\n") + "\n";
}

/** Run the CLI on `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err.write(globalHelp());
    return EXIT_USAGE;
  }
  if (name === "--help" || name === "-h" || (name === "help" && rest.length === 0)) {
    io.out(globalHelp());
    return EXIT_OK;
  }
  if (name === "help") return helpFor(io, rest);
  if (name === "--version") {
    io.out(`needle-wasm ${packageVersion()}\n`);
    return EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) return reportUsage(io, "", name.startsWith("-") ? `unknown option ${name}` : `unknown command ${JSON.stringify(name)}`);
  if (wantsHelp(rest)) {
    io.out(commandHelp(command));
    return EXIT_OK;
  }
  try {
    const args = parseArgs(rest, command.options);
    checkPositionals(command, args);
    return await command.run(args, io);
  } catch (err) {
    if (err instanceof UsageError) return reportUsage(io, command.name, err.message);
    return reportFailure(io, command.name, err);
  }
}

/** `needle-wasm help COMMAND`. */
function helpFor(io: CliIO, names: readonly string[]): number {
  const command = COMMANDS.find((c) => c.name === names[0]);
  if (!command) return reportUsage(io, "", `unknown command ${JSON.stringify(names[0])}`);
  if (names.length > 1) return reportUsage(io, "", `unexpected argument ${JSON.stringify(names[1])}`);
  io.out(commandHelp(command));
  return EXIT_OK;
}

function reportUsage(io: CliIO, command: string, message: string): number {
  const prefix = command ? `needle-wasm ${command}` : "needle-wasm";
  io.err.write(`${prefix}: ${message} (see ${prefix} --help)\n`);
  return EXIT_USAGE;
}

/** One line: the NeedleError code and message (or the error's name and message); the stack with NEEDLE_DEBUG=1. */
function reportFailure(io: CliIO, command: string, err: unknown): number {
  const error = err instanceof Error ? err : new Error(String(err));
  const what = error instanceof NeedleError ? error.code : error.name;
  io.err.write(`needle-wasm ${command}: ${what}: ${error.message}\n`);
  if (process.env.NEEDLE_DEBUG === "1") io.err.write(`${debugTrace(error)}\n`);
  return EXIT_FAILED;
}

function debugTrace(error: Error): string {
  const trace = error.stack ?? String(error);
  return error.cause instanceof Error ? `${trace}\ncaused by: ${debugTrace(error.cause)}` : trace;
}

// The shape of a CLI command, and its --help text.

import { UsageError, type OptionTable, type ParsedArgs } from "./args.ts";
import { columns } from "./output.ts";
import type { ProgressSink } from "./progress.ts";

/** Where a command writes: stdout for results, stderr for progress and warnings. */
export interface CliIO {
  out(text: string): void;
  err: ProgressSink;
}

export interface Command {
  name: string;
  /** One line for the global help. */
  summary: string;
  /** The synopsis after "needle-wasm". */
  usage: string;
  options: OptionTable;
  /** Positional arguments: how many the command takes. */
  positionals: { min: number; max: number };
  /** Lines after the option list (rules, examples). */
  notes: readonly string[];
  /** Runs the command; resolves to the exit code. */
  run(args: ParsedArgs, io: CliIO): Promise<number>;
}

export const HELP_OPTION_LINE = ["-h, --help", "show this help"] as const;

export function commandHelp(command: Command): string {
  const rows = Object.entries(command.options).map(([name, spec]) => [`${spec.short ? `-${spec.short}, ` : ""}--${name}${spec.value ? ` ${spec.value}` : ""}`, spec.required ? `${spec.help} (required)` : spec.help]);
  rows.push([...HELP_OPTION_LINE]);
  return [
    `usage: needle-wasm ${command.usage}`,
    "",
    command.summary,
    "",
    "options:",
    ...columns(rows, "  "),
    ...(command.notes.length ? ["", ...command.notes] : []),
  ].join("\n") + "\n";
}

/** Throws a UsageError unless the positional count is within the command's range. */
export function checkPositionals(command: Command, args: ParsedArgs): void {
  const { min, max } = command.positionals;
  const n = args.positionals.length;
  if (n > max) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[max])}`);
  if (n < min) throw new UsageError(`missing argument (usage: needle-wasm ${command.usage})`);
}

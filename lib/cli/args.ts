// Strict command-line parsing for the needle-wasm CLI: every option must be
// declared, every value present, every number well formed. Anything else is
// a UsageError (exit code 2).

/** A mistake in how the command was called; the CLI exits with code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export interface OptionSpec {
  /** "string" options take a value (`--name value` or `--name=value`); "boolean" ones do not. */
  type: "string" | "boolean";
  /** Placeholder for the value in help texts (`--weights FILE`). */
  value?: string;
  /** A one-letter alias (`o` for `-o FILE`), given as `-o value`. */
  short?: string;
  /** The command refuses to run without it (help marks it; tests/cli-help.test.ts checks both against the usage line). */
  required?: true;
  help: string;
}

export type OptionTable = Readonly<Record<string, OptionSpec>>;

export interface ParsedArgs {
  /** Option values by long name without dashes: strings, or true for booleans given. */
  options: ReadonlyMap<string, string | true>;
  positionals: readonly string[];
}

const HELP_FLAGS = new Set(["-h", "--help"]);

/** True when -h or --help comes before any `--`. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === "--") return false;
    if (HELP_FLAGS.has(arg)) return true;
  }
  return false;
}

/**
 * Parse `argv` against `table`: `--name value`, `--name=value`, `-x value`
 * for an option with a short alias, boolean `--flag`, positionals, and `--`
 * ending the options. Unknown options,
 * missing values, values given to booleans and repeated options throw.
 * The value after `--name` is taken as it is, unless it is itself one of
 * this command's options (then the value is missing; `--name=--x` passes it).
 */
export function parseArgs(argv: readonly string[], table: OptionTable): ParsedArgs {
  const options = new Map<string, string | true>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith("--");
    const eq = long ? arg.indexOf("=") : -1;
    const name = long ? arg.slice(2, eq < 0 ? undefined : eq) : shortName(arg, table);
    const spec = Object.hasOwn(table, name) ? table[name]! : undefined;
    if (spec === undefined) throw new UsageError(`unknown option ${eq < 0 ? arg : arg.slice(0, eq)}`);
    if (options.has(name)) throw new UsageError(`--${name} is given twice`);
    if (spec.type === "boolean") {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      options.set(name, true);
      continue;
    }
    if (eq >= 0) {
      options.set(name, arg.slice(eq + 1));
      continue;
    }
    const next = argv[i + 1];
    if (next === undefined || isOption(next, table)) throw new UsageError(`--${name} needs a value (${spec.value ?? "VALUE"})`);
    options.set(name, next);
    i++;
  }
  return { options, positionals };
}

/** The long name of a short option (`-o` → "output"), or "" when none has that alias. */
function shortName(arg: string, table: OptionTable): string {
  return Object.keys(table).find((name) => table[name]!.short !== undefined && arg === `-${table[name]!.short}`) ?? "";
}

function isOption(arg: string, table: OptionTable): boolean {
  if (HELP_FLAGS.has(arg) || shortName(arg, table) !== "") return true;
  if (!arg.startsWith("--")) return false;
  const eq = arg.indexOf("=");
  return Object.hasOwn(table, arg.slice(2, eq < 0 ? undefined : eq));
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.options.get(name);
  return typeof value === "string" ? value : undefined;
}

export function requiredString(args: ParsedArgs, name: string, why = ""): string {
  const value = stringOption(args, name);
  if (value === undefined) throw new UsageError(`--${name} is required${why}`);
  return value;
}

/** One of `choices`, or undefined when the option is absent. */
export function choiceOption<T extends string>(args: ParsedArgs, name: string, choices: readonly T[]): T | undefined {
  const value = stringOption(args, name);
  if (value === undefined || (choices as readonly string[]).includes(value)) return value as T | undefined;
  throw new UsageError(`--${name} must be one of ${choices.join(", ")}, got ${JSON.stringify(value)}`);
}

export function flag(args: ParsedArgs, name: string): boolean {
  return args.options.get(name) === true;
}

/** A whole number from `min` to `max` written in decimal digits, or undefined when the option is absent. */
export function countOption(args: ParsedArgs, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const text = stringOption(args, name);
  if (text === undefined) return undefined;
  const value = /^[0-9]{1,15}$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`--${name} must be a whole number ${range}, got ${JSON.stringify(text)}`);
  }
  return value;
}

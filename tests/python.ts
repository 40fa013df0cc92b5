// Runs Debian's CPython (not the pyenv `python3` on PATH) as the oracle for
// Python-compatibility tests: one subprocess per call, JSON in and out.

import { execFileSync } from "node:child_process";

export const PYTHON = "/usr/bin/python3";

/**
 * Runs `script` with `input` (any JSON value) as `data` and returns what the
 * script passes to `emit(value)`, parsed. The script sees `json` imported.
 */
export function runPython<T = unknown>(script: string, input: unknown): T {
  const program = `import json, sys\ndata = json.loads(sys.stdin.read())\ndef emit(v):\n    sys.stdout.write(json.dumps(v))\n${script}\n`;
  const out = execFileSync(PYTHON, ["-c", program], { input: JSON.stringify(input), encoding: "utf8", maxBuffer: 1 << 28 });
  return JSON.parse(out) as T;
}

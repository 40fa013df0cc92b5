// needle-wasm: the command-line interface (bundled to dist/cli.js, the
// package's bin). Exit codes: 0 ok, 1 the command failed, 2 usage error.

import type { CliIO } from "./command.ts";
import { main } from "./dispatch.ts";

const processIO: CliIO = {
  out: (text) => void process.stdout.write(text),
  err: { isTTY: process.stderr.isTTY === true, write: (text) => void process.stderr.write(text) },
};

// Output cut short by a closed pipe (`needle-wasm … | head`) is not an error.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code !== "EPIPE") throw err;
  process.exit(process.exitCode ?? 0);
});

process.exitCode = await main(process.argv.slice(2), processIO);

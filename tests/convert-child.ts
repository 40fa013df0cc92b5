// A child process for cli-files.test.ts: writes a 4 MB bundle-sized file with
// lib/cli/convert.ts's writeAtomically and, once the temporary file is whole,
// says so on stdout ("temp PATH") and then either waits for a signal
// (mode "wait") or creates the output itself (mode "race"), so the move fails.

import { writeFileSync } from "node:fs";
import { writeAtomically } from "../lib/cli/convert.ts";
import { NeedleError } from "../lib/errors.ts";

const [output, mode] = process.argv.slice(2) as [string, "wait" | "race"];
try {
  await writeAtomically(output, new Uint8Array(4 << 20).fill(7), false, {
    beforeMove: async (temp) => {
      process.stdout.write(`temp ${temp}\n`);
      if (mode === "race") writeFileSync(output, "someone else's");
      else await new Promise(() => setInterval(() => undefined, 1 << 30)); // until a signal ends the process
    },
  });
  process.stdout.write("written\n");
} catch (err) {
  process.stdout.write(`error ${err instanceof NeedleError ? err.code : String(err)}\n`);
}

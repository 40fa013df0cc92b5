// `npm run bench`: every benchmark, one after the other, each in its own
// process so none inherits another's JIT or heap state. Extra arguments go
// to benchmarks/model.bench.ts (e.g. --formats int8 --no-baseline).

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { cpus, loadavg } from "node:os";

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}\n`);
const runs: [string, string[]][] = [
  ["model.bench.ts", process.argv.slice(2)],
  ["tokenizer.bench.ts", []],
  ["checkpoint.bench.ts", []],
  ["constrain.bench.ts", []],
  ["grammar.bench.ts", []],
  ["simd-peak.bench.ts", []],
  ["gemv-stream.bench.ts", []],
  ["sizes.ts", []],
];
for (const [file, args] of runs) {
  console.log(`## ${file}`);
  const run = spawnSync(process.execPath, ["--import", "tsx", here(file), ...args], { stdio: "inherit" });
  if (run.status !== 0) process.exit(run.status ?? 1);
  console.log();
}

// Peer benchmark: our engine against onnxruntime-web (wasm backend) on the
// same Needle, in one process and on the same machine state.
//
//   /usr/bin/python3 benchmarks/peers/export_onnx.py     # once: ONNX graphs + checkpoint
//   node --import tsx benchmarks/peers/ort.bench.ts [--rounds 5] [--time 2000] [--iterations 2] [--quick] [--ours-threads]
//
// Subjects: onnxruntime-web with 1 thread (the headline) and with 2 threads,
// each in its own worker thread (numThreads is fixed per wasm instance), and
// NeedleModel loaded from the exported checkpoint as f32 and int8 (one
// thread; --ours-threads adds both with `threads: 2`, compared with ORT 2T).
// First every subject's logits are checked against needle_torch's float64
// logits (reference.json) and ours f32 against ORT's: the same model, or the
// run stops. Then, for each round, each task (prefill 64 / 256 / 1024 encoder
// tokens, decode 32 steps after 256 encoder tokens) is timed on each subject
// in turn (the order rotates per round), with tinybench: one warmup
// iteration, then at least --iterations iterations and --time ms. Samples of
// all rounds are pooled; tok/s is reported at the median and at the best
// (min) latency, with ratios ours / ORT. Results also go to out/results.json.

import { execSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { Worker } from "node:worker_threads";
import { decoderIds, EngineSubject, measure, OUT, taskName, taskTokens, type Samples, type TaskSpec } from "./subjects.ts";

interface Runner {
  name: string;
  threads: number;
  measure(spec: TaskSpec, time: number, iterations: number): Promise<Samples>;
  logits(encIds: number[], decIds: number[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

interface Reference {
  encoder_ids: number[];
  decoder_ids: number[];
  logits: number[][];
  params: number;
  opset: number;
  torch: string;
  seed: number;
}

const TASKS: TaskSpec[] = [
  { kind: "prefill", tokens: 64 },
  { kind: "prefill", tokens: 256 },
  { kind: "prefill", tokens: 1024 },
  { kind: "decode", encoderTokens: 256, steps: 32 },
];
/** Largest |logit difference| accepted between two f32 runs of the same model. */
const SAME_MODEL_TOLERANCE = 1e-3;

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!(value > 0)) throw new Error(`--${name} needs a positive number`);
  return value;
}

/** onnxruntime-web in a worker thread (ort-worker.ts). */
async function ortRunner(numThreads: number): Promise<Runner & { version: string }> {
  const worker = new Worker(new URL("./ort-worker.mjs", import.meta.url), { workerData: { numThreads } });
  const pending = new Map<number, { resolve: (v: never) => void; reject: (e: Error) => void }>();
  let next = 0;
  const ready = new Promise<{ version: string }>((resolve, reject) => {
    worker.once("error", reject);
    worker.on("message", (msg: { op?: string; id?: number; result?: never; error?: string; version?: string }) => {
      if (msg.op === "ready") resolve({ version: msg.version! });
      else if (msg.op === "failed") reject(new Error(msg.error));
      else {
        const p = pending.get(msg.id!);
        pending.delete(msg.id!);
        if (msg.error !== undefined) p?.reject(new Error(msg.error));
        else p?.resolve(msg.result!);
      }
    });
  });
  const call = <T>(req: object): Promise<T> => new Promise<T>((resolve, reject) => {
    const id = next++;
    pending.set(id, { resolve: resolve as (v: never) => void, reject });
    worker.postMessage({ id, ...req });
  });
  let version: string;
  try {
    ({ version } = await ready);
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  return {
    name: `ORT ${numThreads}T`,
    threads: numThreads,
    version,
    measure: (spec, time, iterations) => call<Samples>({ op: "measure", spec, time, iterations }),
    logits: (encIds, decIds) => call<Float32Array[]>({ op: "logits", encIds, decIds }),
    close: async () => { await worker.terminate(); },
  };
}

async function engineRunner(dtype: "f32" | "int8", threads = 1): Promise<Runner> {
  const subject = await EngineSubject.create(dtype, threads);
  return {
    name: threads > 1 ? `ours ${dtype} ${threads}T` : `ours ${dtype}`,
    threads,
    measure: (spec, time, iterations) => measure(subject, spec, time, iterations),
    logits: async (encIds, decIds) => subject.logits(encIds, decIds),
    close: async () => subject.model.dispose(),
  };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}

function median(sorted: number[]): number {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

const load = () => os.loadavg().map((x) => x.toFixed(2)).join(" ");

function git(cmd: string): string {
  try {
    return execSync(`git ${cmd}`, { cwd: new URL("../..", import.meta.url), stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
  } catch {
    return "?";
  }
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const rounds = option("rounds", quick ? 1 : 5);
  const time = option("time", quick ? 200 : 2000);
  const iterations = option("iterations", quick ? 1 : 2);
  for (const f of ["encoder.onnx", "decoder_step.onnx", "needle-peer.pkl", "reference.json"]) {
    if (!existsSync(new URL(f, OUT))) throw new Error(`benchmarks/peers/out/${f} is missing: run /usr/bin/python3 benchmarks/peers/export_onnx.py first`);
  }
  const ref = JSON.parse(readFileSync(new URL("reference.json", OUT), "utf8")) as Reference;
  const machine = {
    cpu: `${os.cpus()[0]?.model ?? "?"} × ${os.cpus().length}`,
    node: process.version,
    commit: git("rev-parse --short HEAD") + (git("status --porcelain -- lib assembly") ? " (lib/ or assembly/ modified)" : ""),
  };
  console.log(`machine: ${machine.cpu}, Node ${machine.node}, commit ${machine.commit}; load average ${load()}`);

  // ---- subjects ---------------------------------------------------------------------
  const runners: Runner[] = [];
  const ort1 = await ortRunner(1);
  runners.push(ort1);
  let ort2Error: string | undefined;
  try {
    runners.push(await ortRunner(2));
  } catch (err) {
    ort2Error = (err as Error).message.split("\n")[0];
    console.log(`ORT 2 threads unavailable: ${ort2Error}`);
  }
  runners.push(await engineRunner("f32"), await engineRunner("int8"));
  if (process.argv.includes("--ours-threads")) runners.push(await engineRunner("f32", 2), await engineRunner("int8", 2));
  console.log(`onnxruntime-web ${ort1.version} (wasm backend, SIMD); model: ${(ref.params / 1e6).toFixed(2)}M params, ONNX opset ${ref.opset}, exported with torch ${ref.torch}, seed ${ref.seed}`);

  // ---- same model? --------------------------------------------------------------------
  const logits = new Map<string, Float32Array[]>();
  for (const r of runners) logits.set(r.name, await r.logits(ref.encoder_ids, ref.decoder_ids));
  const check: Record<string, { vsReference: number[]; vsOrt1: number[]; argmaxSame: boolean }> = {};
  console.log(`\nlogits after each of ${ref.decoder_ids.length} decoder steps (encoder: ${ref.encoder_ids.length} tokens), max |diff|; |logits| up to ${Math.max(...ref.logits.flat().map(Math.abs)).toFixed(1)}`);
  for (const r of runners) {
    const mine = logits.get(r.name)!;
    const vsReference = mine.map((l, i) => maxAbsDiff(l, ref.logits[i]!));
    const vsOrt1 = mine.map((l, i) => maxAbsDiff(l, logits.get(ort1.name)![i]!));
    const argmaxSame = mine.every((l, i) => argmax(l) === argmax(ref.logits[i]!));
    check[r.name] = { vsReference, vsOrt1, argmaxSame };
    const fmt = (xs: number[]) => xs.map((x) => x.toExponential(1)).join(" ");
    console.log(`  ${r.name.padEnd(12)} vs needle_torch f64: ${fmt(vsReference)}   vs ORT 1T: ${fmt(vsOrt1)}   argmax same: ${argmaxSame}`);
  }
  for (const r of runners) {
    if (r.name.includes("int8")) continue; // quantised: reported, not held to the f32 bound
    const worst = Math.max(...check[r.name]!.vsReference, ...check[r.name]!.vsOrt1);
    if (worst > SAME_MODEL_TOLERANCE) throw new Error(`${r.name}: logits differ by ${worst} (> ${SAME_MODEL_TOLERANCE}): not the same model`);
  }

  // ---- timing ----------------------------------------------------------------------------
  const samples = new Map<string, number[]>();
  const cpuPerWall = new Map<string, number[]>();
  const key = (runner: string, spec: TaskSpec) => `${runner}|${taskName(spec)}`;
  const loads: string[] = [load()];
  for (let round = 0; round < rounds; round++) {
    console.log(`\nround ${round + 1}/${rounds} (load average ${load()})`);
    for (const spec of TASKS) {
      const order = runners.map((_, i) => runners[(i + round) % runners.length]!);
      for (const r of order) {
        const s = await r.measure(spec, time, iterations);
        const k = key(r.name, spec);
        samples.set(k, [...(samples.get(k) ?? []), ...s.ms]);
        cpuPerWall.set(k, [...(cpuPerWall.get(k) ?? []), s.cpuPerWall]);
        const med = median([...s.ms].sort((a, b) => a - b));
        console.log(`  ${taskName(spec).padEnd(20)} ${r.name.padEnd(12)} median ${med.toFixed(1).padStart(8)} ms  ${(taskTokens(spec) * 1000 / med).toFixed(1).padStart(7)} tok/s  (${s.ms.length} samples, cpu/wall ${s.cpuPerWall.toFixed(2)})`);
      }
    }
    loads.push(load());
  }
  for (const r of runners) await r.close();

  // ---- summary ------------------------------------------------------------------------------
  type Row = { task: string; runner: string; samples: number; minMs: number; medianMs: number; tokPerSecMedian: number; tokPerSecBest: number; cpuPerWall: number };
  const rows: Row[] = [];
  for (const spec of TASKS) {
    for (const r of runners) {
      const s = [...samples.get(key(r.name, spec))!].sort((a, b) => a - b);
      const cw = cpuPerWall.get(key(r.name, spec))!;
      rows.push({
        task: taskName(spec), runner: r.name, samples: s.length, minMs: s[0]!, medianMs: median(s),
        tokPerSecMedian: (taskTokens(spec) * 1000) / median(s), tokPerSecBest: (taskTokens(spec) * 1000) / s[0]!,
        cpuPerWall: cw.reduce((a, b) => a + b, 0) / cw.length,
      });
    }
  }
  const get = (task: string, runner: string) => rows.find((x) => x.task === task && x.runner === runner);
  // ratio columns: ours on one thread against every ORT; ours on n threads against ORT on n
  const pairs = runners.filter((o) => o.name.startsWith("ours")).flatMap((o) =>
    runners.filter((n) => n.name.startsWith("ORT") && (o.threads === 1 || o.threads === n.threads)).map((n) => [o.name, n.name] as const));
  const f = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
  const header = ["task", ...runners.map((r) => `${r.name} tok/s`), ...pairs.map(([o, n]) => `${o.replace("ours ", "")} / ${n.replace("ORT ", "ORT-")}`)];
  const lines = [`| ${header.join(" | ")} |`, `| ${header.map((_, i) => (i ? "---:" : "---")).join(" | ")} |`];
  for (const spec of TASKS) {
    const t = taskName(spec);
    const cells = runners.map((r) => { const x = get(t, r.name)!; return `${f(x.tokPerSecMedian)} (${f(x.tokPerSecBest)})`; });
    const ratios = pairs.map(([o, n]) => {
      const a = get(t, o)!, b = get(t, n)!;
      return `×${(a.tokPerSecMedian / b.tokPerSecMedian).toFixed(2)} (×${(a.tokPerSecBest / b.tokPerSecBest).toFixed(2)})`;
    });
    lines.push(`| ${t} | ${[...cells, ...ratios].join(" | ")} |`);
  }
  console.log(`\ntok/s at the median latency (at the best latency); ratios ours / ORT the same way. ${rounds} rounds × ≥${iterations} iterations and ≥${time} ms per task and subject.`);
  console.log(lines.join("\n"));
  console.log(`\nsamples per cell (rows × columns): ${rows.map((r) => r.samples).join(" ")}`);
  for (const r of runners.filter((x) => x.threads > 1)) {
    console.log(`cpu/wall of ${r.name} (above 1 when both threads ran): ${rows.filter((x) => x.runner === r.name).map((x) => `${x.task} ${x.cpuPerWall.toFixed(2)}`).join(", ")}`);
  }
  console.log(`load average (1, 5, 15 min) before and after each round: ${loads.join(" | ")}`);
  writeFileSync(new URL("results.json", OUT), JSON.stringify({ date: new Date().toISOString(), machine, ortVersion: ort1.version, ort2Error, rounds, time, iterations, loads, check, rows, decoderIds: decoderIds(32) }, null, 1));
  console.log(`wrote benchmarks/peers/out/results.json`);
}

await main();
process.exit(0); // worker threads and onnxruntime's pthreads would otherwise keep the process alive

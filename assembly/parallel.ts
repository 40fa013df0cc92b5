// Work sharing for the threaded build (build/needle-mt.wasm: shared memory,
// atomics). The main thread posts a job in the job slot (layout.ts `jobs`),
// wakes the workers, does its own share and spins until every worker has
// reported; each worker sits in worker_loop, blocked in atomic.wait until a
// job arrives. Jobs split prefill work by token rows: each thread projects
// (and quantizes) its own rows and attends for its own query positions.
// In the baseline build (no threads feature) every job runs on the caller.
//
//   jobs: [0] generation  [1] workers done  [2] op  [3..15] arguments (i32)

import * as L from "./layout";
import { attend_f32 } from "./attention";
import { attend_q16 } from "./attention_q16";
import { isQuantized } from "./format";
import { gemvRows, linear, quantizeVector } from "./linear";

const GEN = 0;
const DONE = 4;
const OP = 8;
const ARGS = 12;

const OP_QUIT = 0;
const OP_LINEAR = 1;
const OP_ATTEND = 2;
const OP_GEMV = 3;

/** This instance's place among the threads (0: main); instance-local like every global. */
export let threadIndex: i32 = 0;
/** Threads taking part in jobs; 1 until workers are running. */
export let activeThreads: i32 = 1;
/** Whether the main thread may block in atomic.wait (not on a page's main thread). */
let mainMayWait = false;
/** Spins before the main thread blocks while workers finish their shares. */
const SPINS: i32 = 4096;
/**
 * Spins before an idle worker blocks: decoding posts a job every few tens of
 * microseconds, and waking a blocked thread costs about as much as a job.
 */
const WORKER_SPINS: i32 = 100000;
/** Fewer rows than this are not worth sharing. */
const MIN_SHARED_ROWS: i32 = 256;

@inline function arg(i: i32): i32 {
  return load<i32>(L.jobs + ARGS + (<usize>i << 2));
}

@inline function setArg(i: i32, v: i32): void {
  store<i32>(L.jobs + ARGS + (<usize>i << 2), v);
}

/** [start, end) of `n` items for thread `k`, in chunks of `granule`. */
@inline function shareStart(n: i32, k: i32, granule: i32): i32 {
  const chunks = (n + granule - 1) / granule;
  const start = (chunks * k / activeThreads) * granule;
  return start < n ? start : n;
}

function runShare(op: i32, k: i32): void {
  if (op == OP_LINEAR) {
    // out [n][rows] = x [n][cols] · W: rows of x in fours (the quantized GEMM tiles).
    const out = <usize>arg(0), x = <usize>arg(1), n = arg(2), matrix = <usize>arg(3);
    const rows = arg(4), cols = arg(5), format = arg(6);
    const start = shareStart(n, k, 4);
    const end = shareStart(n, k + 1, 4);
    if (end > start) linear(out + (<usize>(start * rows) << 2), x + (<usize>(start * cols) << 2), end - start, matrix, rows, cols, format, start, k);
  } else if (op == OP_GEMV) {
    // One input vector: weight rows in fours of quads (the quantized GEMV tiles).
    const out = <usize>arg(0), x = <usize>arg(1), matrix = <usize>arg(2);
    const rows = arg(3), cols = arg(4), format = arg(5);
    gemvRows(out, x, matrix, cols, format, shareStart(rows, k, 16), shareStart(rows, k + 1, 16));
  } else if (op == OP_ATTEND) {
    const out = <usize>arg(0), outStride = arg(1), q = <usize>arg(2), qStride = arg(3), n = arg(4);
    const k0 = <usize>arg(5), v = <usize>arg(6), kvStride = arg(7), nKeys = arg(8), keyIds = <usize>arg(9), block = arg(10);
    const start = shareStart(n, k, block);
    const end = shareStart(n, k + 1, block);
    const scores = L.scores + <usize>k * L.scoresStride;
    for (let t = start; t < end; t += block) {
      const dst = out + (<usize>(t * outStride) << 2);
      const qt = q + (<usize>(t * qStride) << 2);
      const count = min(block, end - t);
      // With q8/q4 weights k0 holds int16 head blocks for kvStride positions (attention_q16.ts).
      if (isQuantized(L.weightFormat)) attend_q16(dst, outStride, qt, qStride, count, k0, kvStride, nKeys, keyIds, L.padId, L.nHeads, L.nKvHeads, L.headDim, scores);
      else attend_f32(dst, outStride, qt, qStride, count, k0, v, kvStride, L.headDim, nKeys, keyIds, L.padId, L.nHeads, L.nKvHeads, L.headDim, scores);
    }
  }
}

/** Run a posted job: every thread its share; returns when all are done. */
function runJob(op: i32): void {
  if (ASC_FEATURE_THREADS) {
    if (activeThreads > 1) {
      store<i32>(L.jobs + OP, op);
      atomic.store<i32>(L.jobs + DONE, 0);
      atomic.add<i32>(L.jobs + GEN, 1);
      atomic.notify(L.jobs + GEN, activeThreads - 1);
      runShare(op, 0);
      const workers = activeThreads - 1;
      for (let spin = 0; ; spin++) {
        const done = atomic.load<i32>(L.jobs + DONE);
        if (done >= workers) break;
        // Spin a little (shares end close together), then block where allowed:
        // a page's main thread may not, and keeps spinning.
        if (mainMayWait && spin >= SPINS) atomic.wait<i32>(L.jobs + DONE, done, -1);
      }
      return;
    }
  }
  runShare(op, 0);
}

/** linear() over n rows, shared among the threads (by input rows; for one input, by weight rows). */
export function parallelLinear(out: usize, x: usize, n: i32, matrix: usize, rows: i32, cols: i32, format: i32): void {
  if (n == 1) {
    if (activeThreads == 1 || rows < MIN_SHARED_ROWS) {
      linear(out, x, 1, matrix, rows, cols, format);
      return;
    }
    quantizeVector(x, cols, format);
    setArg(0, <i32>out);
    setArg(1, <i32>x);
    setArg(2, <i32>matrix);
    setArg(3, rows);
    setArg(4, cols);
    setArg(5, format);
    runJob(OP_GEMV);
    return;
  }
  setArg(0, <i32>out);
  setArg(1, <i32>x);
  setArg(2, n);
  setArg(3, <i32>matrix);
  setArg(4, rows);
  setArg(5, cols);
  setArg(6, format);
  runJob(OP_LINEAR);
}

/**
 * Attention for query positions [0, n) in blocks of `block`, shared among the
 * threads: k, v, kvStride as attend_f32 takes them, or with q8/q4 weights k
 * the int16 head blocks for kvStride positions (attend_q16; v unused).
 */
export function parallelAttend(
  out: usize, outStride: i32, q: usize, qStride: i32, n: i32,
  k: usize, v: usize, kvStride: i32, nKeys: i32, keyIds: usize, block: i32,
): void {
  setArg(0, <i32>out);
  setArg(1, outStride);
  setArg(2, <i32>q);
  setArg(3, qStride);
  setArg(4, n);
  setArg(5, <i32>k);
  setArg(6, <i32>v);
  setArg(7, kvStride);
  setArg(8, nKeys);
  setArg(9, <i32>keyIds);
  setArg(10, block);
  runJob(OP_ATTEND);
}

/**
 * Main thread: start (count > 1) or stop (count = 1) sharing jobs with
 * count - 1 running workers; `mayWait` when this thread may block.
 */
export function setActiveThreads(count: i32, mayWait: bool): void {
  if (ASC_FEATURE_THREADS) {
    mainMayWait = mayWait;
    if (count == 1 && activeThreads > 1) {
      store<i32>(L.jobs + OP, OP_QUIT);
      atomic.add<i32>(L.jobs + GEN, 1);
      atomic.notify(L.jobs + GEN, activeThreads - 1);
    }
    activeThreads = count < L.threads ? count : L.threads;
    return;
  }
  activeThreads = 1;
}

/** The job generation, for a worker to start from (read before the main thread activates it). */
export function jobGeneration(): i32 {
  return load<i32>(L.jobs + GEN);
}

/**
 * A worker's life: take jobs until told to quit. `index` (1 … threads-1) is
 * its share; `threads` sets how shares are cut and must match the main
 * thread's count; `generation` is jobGeneration() read before activation.
 */
export function workerLoop(index: i32, threads: i32, generation: i32): void {
  if (!ASC_FEATURE_THREADS) return;
  threadIndex = index;
  activeThreads = threads;
  let seen = generation;
  while (true) {
    let current = atomic.load<i32>(L.jobs + GEN);
    for (let spin = 0; current == seen && spin < WORKER_SPINS; spin++) current = atomic.load<i32>(L.jobs + GEN);
    if (current == seen) atomic.wait<i32>(L.jobs + GEN, seen, -1);
    const generation = atomic.load<i32>(L.jobs + GEN);
    if (generation == seen) continue;
    seen = generation;
    const op = load<i32>(L.jobs + OP);
    if (op == OP_QUIT) return;
    runShare(op, index);
    atomic.add<i32>(L.jobs + DONE, 1);
    atomic.notify(L.jobs + DONE, 1);
  }
}

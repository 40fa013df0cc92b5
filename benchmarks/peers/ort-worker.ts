// A worker thread hosting one onnxruntime-web instance (OrtSubject), so that
// the 1-thread and 2-thread wasm backends (numThreads is fixed per wasm
// instance) run side by side in the benchmark's one process. Requests come
// from ort.bench.ts; timing happens here, with the same measure() as for
// our engine.

import { parentPort, workerData } from "node:worker_threads";
import { measure, OrtSubject, type TaskSpec } from "./subjects.ts";

export type Request =
  | { id: number; op: "measure"; spec: TaskSpec; time: number; iterations: number }
  | { id: number; op: "logits"; encIds: number[]; decIds: number[] }
  | { id: number; op: "close" };

const port = parentPort!;
try {
  const subject = await OrtSubject.create((workerData as { numThreads: number }).numThreads);
  port.postMessage({ op: "ready", numThreads: subject.numThreads, version: subject.version });
  port.on("message", async (req: Request) => {
    try {
      if (req.op === "measure") port.postMessage({ id: req.id, result: await measure(subject, req.spec, req.time, req.iterations) });
      else if (req.op === "logits") port.postMessage({ id: req.id, result: await subject.logits(req.encIds, req.decIds) });
      else process.exit(0);
    } catch (err) {
      port.postMessage({ id: req.id, error: String((err as Error)?.stack ?? err) });
    }
  });
} catch (err) {
  port.postMessage({ op: "failed", error: String((err as Error)?.stack ?? err) });
}

// One engine instance of `needle-wasm serve`: a worker thread that loads a
// Needle from `workerData` (the model files) and runs the jobs its pool
// (lib/server/worker-pool.ts) posts. Bundled to dist/serve-worker.js.
// Calls run with an abort signal, so the engine yields between tokens and
// `prompt` and `abort` messages are answered mid-call.

import { parentPort, workerData } from "node:worker_threads";
import { Needle, type NeedleLoadOptions } from "../index.ts";
import { toWireError, toWireResult, type FromWorker, type ToWorker } from "./worker-protocol.ts";

const port = parentPort!;
const post = (message: FromWorker) => port.postMessage(message);
const running = new Map<number, AbortController>();

try {
  const needle = await Needle.load(workerData as NeedleLoadOptions);
  port.on("message", (message: ToWorker) => void handle(needle, message));
  post({ type: "ready" });
} catch (err) {
  post({ type: "load-error", error: toWireError(err) });
}

async function handle(needle: Needle, message: ToWorker): Promise<void> {
  if (message.type === "abort") {
    running.get(message.id)?.abort();
    return;
  }
  const { id } = message;
  try {
    if (message.type === "prompt") {
      post({ type: "prompt", id, prompt: needle.prompt(message.query, message.tools) });
      return;
    }
    const controller = new AbortController();
    running.set(id, controller);
    const options = { ...message.options, signal: controller.signal };
    if (message.type === "call") {
      post({ type: "result", id, result: toWireResult(await needle.call(message.query, message.tools, options)) });
      return;
    }
    for await (const event of needle.stream(message.query, message.tools, options)) {
      if (event.type === "token") post({ type: "token", id, token: event.token, text: event.text });
      else post({ type: "result", id, result: toWireResult(event.result) });
    }
  } catch (err) {
    post({ type: "error", id, error: toWireError(err) });
  } finally {
    running.delete(id);
  }
}

// `needle-wasm serve --instances N`: N Needles, each in its own worker
// thread (lib/server/worker-main.ts), behind the Needle call interface, so
// createHandler runs N requests at once. A call or stream goes to an idle
// instance (or waits for one); `prompt` goes to the least busy, which
// answers it between the tokens of its call. An instance that dies fails
// its jobs and is replaced.

import { Worker } from "node:worker_threads";
import { NeedleError } from "../errors.ts";
import type { CallOptions, CallResult, NeedleLoadOptions, Prompt, StreamEvent } from "../needle.ts";
import type { ToolsInput } from "../tools.ts";
import type { ChatBackend } from "./backend.ts";
import { fromWireError, fromWireResult, type FromWorker, type JobOptions, type ToWorker } from "./worker-protocol.ts";

interface Job {
  /** A token of a stream. */
  token?(event: StreamEvent): void;
  result(value: CallResult | Prompt): void;
  fail(err: Error): void;
  /** A call or stream (holds its instance), not a prompt. */
  exclusive: boolean;
}

interface Instance {
  worker: Worker;
  jobs: Map<number, Job>;
  /** Calls and streams running on it: 0 or 1. */
  busy: number;
}

export class WorkerPool implements ChatBackend {
  readonly size: number;
  readonly #load: NeedleLoadOptions;
  readonly #url: URL;
  readonly #instances: Instance[] = [];
  readonly #idle: (() => void)[] = [];
  #nextId = 1;
  #closed = false;

  private constructor(load: NeedleLoadOptions, size: number, url: URL) {
    this.#load = load;
    this.size = size;
    this.#url = url;
  }

  /** Start `size` instances of the model at `load` from the worker script at `url`; resolves once all have loaded. */
  static async start(load: NeedleLoadOptions, size: number, url: URL): Promise<WorkerPool> {
    const pool = new WorkerPool(load, size, url);
    const started = await Promise.allSettled(Array.from({ length: size }, () => pool.#spawn()));
    const failed = started.find((s) => s.status === "rejected");
    if (failed) {
      await pool.close();
      throw (failed as PromiseRejectedResult).reason;
    }
    return pool;
  }

  call(query: string, tools: ToolsInput, options: CallOptions = {}): Promise<CallResult> {
    return this.#exclusive(options.signal, (instance) =>
      new Promise((resolve, reject) => this.#post(instance, { type: "call", query, tools, options: jobOptions(options) }, { result: resolve as (v: CallResult | Prompt) => void, fail: reject, exclusive: true }, options.signal)));
  }

  async *stream(query: string, tools: ToolsInput, options: CallOptions = {}): AsyncGenerator<StreamEvent, void, undefined> {
    const events: (StreamEvent | Error)[] = [];
    let wake: (() => void) | null = null;
    let ended = false;
    const push = (item: StreamEvent | Error) => {
      events.push(item);
      wake?.();
    };
    const abort = new AbortController();
    const linked = linkSignal(options.signal, abort);
    const done = this.#exclusive(linked, (instance) =>
      new Promise<void>((resolve) => this.#post(instance, { type: "stream", query, tools, options: jobOptions(options) }, {
        token: push,
        result: (result) => {
          push({ type: "result", result: result as CallResult });
          resolve();
        },
        fail: (err) => {
          push(err);
          resolve();
        },
        exclusive: true,
      }, linked)));
    done.catch((err: Error) => push(err));
    try {
      while (!ended) {
        while (events.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        const item = events.shift()!;
        if (item instanceof Error) throw item;
        if (item.type === "result") ended = true;
        yield item;
      }
    } finally {
      if (!ended) abort.abort(); // the consumer stopped early: stop the instance's generation
    }
  }

  prompt(query: string, tools: ToolsInput): Promise<Prompt> {
    if (this.#instances.length === 0) return Promise.reject(new NeedleError("NO_INSTANCE", "no engine instance is running"));
    const instance = this.#instances.reduce((a, b) => (b.busy < a.busy ? b : a));
    return new Promise((resolve, reject) => this.#post(instance, { type: "prompt", query, tools }, { result: resolve as (v: CallResult | Prompt) => void, fail: reject, exclusive: false }));
  }

  /** Stop every instance; jobs in flight fail. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#instances.map((i) => i.worker.terminate()));
  }

  /** Run `job` on an idle instance, waiting for one if none is. */
  async #exclusive<T>(signal: AbortSignal | undefined, job: (instance: Instance) => Promise<T>): Promise<T> {
    let instance: Instance | undefined;
    while (!(instance = this.#instances.find((i) => i.busy === 0))) {
      if (this.#closed) throw new NeedleError("POOL_CLOSED", "the engine pool is closed");
      await new Promise<void>((resolve) => this.#idle.push(resolve));
      if (signal?.aborted) {
        this.#idle.shift()?.(); // pass the wake-up on
        throw new DOMException("the call was aborted", "AbortError");
      }
    }
    instance.busy++;
    return job(instance);
  }

  #post(instance: Instance, message: DistributiveOmit<ToWorker, "id">, job: Job, signal?: AbortSignal): void {
    const id = this.#nextId++;
    if (signal?.aborted) {
      this.#finish(instance, job);
      job.fail(new DOMException("the call was aborted", "AbortError"));
      return;
    }
    const onAbort = () => instance.worker.postMessage({ type: "abort", id } satisfies ToWorker);
    signal?.addEventListener("abort", onAbort, { once: true });
    const unlink = () => signal?.removeEventListener("abort", onAbort);
    instance.jobs.set(id, {
      ...job,
      result: (value) => {
        unlink();
        job.result(value);
      },
      fail: (err) => {
        unlink();
        job.fail(err);
      },
    });
    instance.worker.postMessage({ ...message, id } as ToWorker);
  }

  /** A job ended: free its instance and wake one waiter. */
  #finish(instance: Instance, job: Job): void {
    if (!job.exclusive) return;
    instance.busy--;
    this.#idle.shift()?.();
  }

  #spawn(): Promise<void> {
    const worker = new Worker(this.#url, { workerData: this.#load });
    const instance: Instance = { worker, jobs: new Map(), busy: 0 };
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on("message", (message: FromWorker) => {
        if (message.type === "ready") {
          ready = true;
          this.#instances.push(instance);
          this.#idle.shift()?.();
          resolve();
          return;
        }
        if (message.type === "load-error") {
          reject(fromWireError(message.error));
          void worker.terminate();
          return;
        }
        const job = instance.jobs.get(message.id);
        if (!job) return;
        if (message.type === "token") {
          job.token?.({ type: "token", token: message.token, text: message.text });
          return;
        }
        instance.jobs.delete(message.id);
        this.#finish(instance, job);
        if (message.type === "error") job.fail(fromWireError(message.error));
        else job.result(message.type === "result" ? fromWireResult(message.result) : message.prompt);
      });
      worker.on("error", (err) => {
        if (!ready) reject(new NeedleError("INSTANCE_FAILED", `an engine instance failed to start: ${err.message}`));
      });
      worker.on("exit", () => {
        const at = this.#instances.indexOf(instance);
        if (at >= 0) this.#instances.splice(at, 1);
        for (const job of instance.jobs.values()) job.fail(new NeedleError("INSTANCE_FAILED", "the engine instance running this call stopped"));
        instance.jobs.clear();
        if (ready && !this.#closed) void this.#spawn().catch(() => undefined); // replace it
        if (!ready) reject(new NeedleError("INSTANCE_FAILED", "an engine instance exited while loading"));
      });
    });
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function jobOptions(options: CallOptions): JobOptions {
  const { signal: _signal, ...rest } = options;
  return rest;
}

/** A signal that aborts with `parent` or with `own`. */
function linkSignal(parent: AbortSignal | undefined, own: AbortController): AbortSignal {
  if (parent) {
    if (parent.aborted) own.abort(parent.reason);
    else parent.addEventListener("abort", () => own.abort(parent.reason), { once: true });
  }
  return own.signal;
}

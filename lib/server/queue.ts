// A bounded queue in front of the engine: `concurrency` calls run at once
// (one per engine instance), at most `maxQueue` more wait their turn, and
// a request beyond that is refused at once (503 with Retry-After) rather
// than left to time out.

export class RequestQueue {
  readonly concurrency: number;
  readonly maxQueue: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(concurrency: number, maxQueue: number) {
    this.concurrency = concurrency;
    this.maxQueue = maxQueue;
  }

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * A turn: resolves to its release function when a slot is free; null at
   * once when the queue is full. A wait ended by `signal` rejects with its
   * reason and gives up its place.
   */
  enter(signal: AbortSignal): Promise<() => void> | null {
    if (this.#running < this.concurrency) {
      this.#running++;
      return Promise.resolve(this.#releaser());
    }
    if (this.#waiting.length >= this.maxQueue) return null;
    return new Promise((resolve, reject) => {
      const start = () => {
        signal.removeEventListener("abort", give);
        resolve(this.#releaser());
      };
      const give = () => {
        const at = this.#waiting.indexOf(start);
        if (at >= 0) this.#waiting.splice(at, 1);
        reject(signal.reason);
      };
      if (signal.aborted) return reject(signal.reason);
      signal.addEventListener("abort", give, { once: true });
      this.#waiting.push(start);
    });
  }

  /** Release once: hand the slot to the next waiter, or free it. */
  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    };
  }
}

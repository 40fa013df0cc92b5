// Progress lines on stderr: live on a terminal, and in logs only for slow steps.

/** Where progress goes: process.stderr, or a fake in tests. */
export interface ProgressSink {
  readonly isTTY: boolean;
  write(text: string): void;
}

/** A step slower than this gets a line in non-terminal output. */
export const SLOW_STEP_MS = 1000;
const REDRAW_MS = 100;
const CLEAR_LINE = "\r\x1b[K";

/**
 * Run `task` with a progress line "label… 1.2 s". On a terminal the line is
 * drawn at once, redrawn while the event loop is free and left with the
 * final time. Elsewhere (pipes, logs) one line is written at the end, only
 * when the step took SLOW_STEP_MS or more. The line is written whether the
 * task succeeds or fails.
 */
export async function withProgress<T>(sink: ProgressSink, label: string, task: () => Promise<T>, now = () => performance.now()): Promise<T> {
  const start = now();
  const line = () => `${label}… ${((now() - start) / 1000).toFixed(1)} s`;
  let timer: ReturnType<typeof setInterval> | undefined;
  if (sink.isTTY) {
    sink.write(line());
    timer = setInterval(() => sink.write(CLEAR_LINE + line()), REDRAW_MS);
  }
  try {
    return await task();
  } finally {
    clearInterval(timer);
    if (sink.isTTY) sink.write(`${CLEAR_LINE}${line()}\n`);
    else if (now() - start >= SLOW_STEP_MS) sink.write(`${line()}\n`);
  }
}

/** A "case 12/560" counter redrawn in place on a terminal; silent elsewhere. */
export class CaseCounter {
  readonly #sink: ProgressSink;
  readonly #total: number;

  constructor(sink: ProgressSink, total: number) {
    this.#sink = sink;
    this.#total = total;
  }

  show(done: number): void {
    if (this.#sink.isTTY) this.#sink.write(`${CLEAR_LINE}case ${done}/${this.#total}`);
  }

  clear(): void {
    if (this.#sink.isTTY) this.#sink.write(CLEAR_LINE);
  }
}

// The progress line of a hub download on a terminal:
//   loading Cactus-Compute/needle: needle.pkl 12.3/52.6 MB 23 %… 1.2 s
// redrawn in place while bytes arrive and left with the final time, as
// withProgress (lib/cli/progress.ts) draws "loading weights… 1.2 s".
// Elsewhere (pipes, logs): one line per finished download and, for a slow
// step, the final time.

import type { LoadProgress } from "../index.ts";
import { SLOW_STEP_MS, type ProgressSink } from "./progress.ts";

const REDRAW_MS = 100;
const CLEAR_LINE = "\r\x1b[K";

export async function withDownloadProgress<T>(sink: ProgressSink, label: string, task: (onProgress: (event: LoadProgress) => void) => Promise<T>, now = () => performance.now()): Promise<T> {
  const start = now();
  let current: LoadProgress | undefined;
  const seconds = () => `${((now() - start) / 1000).toFixed(1)} s`;
  const line = () => `${label}${current ? `: ${fileName(current.source)} ${megabytes(current.loaded, current.total)}` : ""}… ${seconds()}`;
  const finished = new Set<string>();
  const onProgress = (event: LoadProgress) => {
    const done = event.total !== undefined && event.loaded >= event.total;
    if (sink.isTTY) current = done ? undefined : event;
    else if (done && !event.cached && !finished.has(event.source)) {
      finished.add(event.source);
      sink.write(`downloaded ${fileName(event.source)} (${megabytes(event.loaded, undefined)}) in ${seconds()}\n`);
    }
  };
  let timer: ReturnType<typeof setInterval> | undefined;
  if (sink.isTTY) {
    sink.write(line());
    timer = setInterval(() => sink.write(CLEAR_LINE + line()), REDRAW_MS);
  }
  try {
    return await task(onProgress);
  } finally {
    clearInterval(timer);
    current = undefined;
    if (sink.isTTY) sink.write(`${CLEAR_LINE}${line()}\n`);
    else if (now() - start >= SLOW_STEP_MS) sink.write(`${line()}\n`);
  }
}

function fileName(url: string): string {
  return decodeURIComponent(url.split("/").pop() ?? url);
}

function megabytes(loaded: number, total: number | undefined): string {
  const mb = (n: number) => (n / 1e6).toFixed(1);
  return total === undefined ? `${mb(loaded)} MB` : `${mb(loaded)}/${mb(total)} MB ${total === 0 ? 100 : Math.floor((loaded / total) * 100)} %`;
}

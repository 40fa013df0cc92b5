// node:http ↔ the fetch handler: an IncomingMessage as a WHATWG Request
// (its signal aborts when the client goes away before the response is
// done), and a Response written back with backpressure; a client that
// disconnects mid-body cancels the body, which stops a streamed call. A
// request whose body was not read to its end gets `Connection: close`.

import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";

export function toRequest(req: IncomingMessage, res: ServerResponse): Request {
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort(new DOMException("the client went away", "AbortError"));
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  const init: RequestInit & { duplex?: "half" } = { method, headers, signal: controller.signal };
  if (hasBody) {
    init.body = Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>;
    init.duplex = "half";
  }
  return new Request(new URL(req.url ?? "/", "http://localhost"), init);
}

/** Write `response` to `res`; resolves to the body bytes written and whether the whole body was. */
export async function sendResponse(response: Response, res: ServerResponse): Promise<{ bytes: number; complete: boolean }> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => (headers[name] = value));
  // A request body left unread (a 413, a 401 before the body) would stall the connection.
  if (!res.req.complete) headers.connection = "close";
  res.writeHead(response.status, headers);
  if (response.body === null) {
    res.end();
    return { bytes: 0, complete: true };
  }
  const reader = response.body.getReader();
  const gone = () => void reader.cancel().catch(() => undefined);
  res.once("close", gone);
  let bytes = 0;
  let complete = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        complete = !res.destroyed;
        break;
      }
      bytes += value.length;
      if (res.destroyed) break;
      if (!res.write(value) && !res.destroyed) {
        await new Promise<void>((resolve) => {
          res.once("drain", resolve);
          res.once("close", resolve);
        });
      }
    }
  } catch {
    // the body failed or was cancelled: end what was sent
  } finally {
    res.off("close", gone);
  }
  res.end();
  return { bytes, complete };
}

// The request body as JSON, read under a byte limit: a Content-Length over
// the limit is refused before anything is read, and a body that turns out
// longer (chunked, or a lying header) is no longer read once past the limit.

import { ApiError, badRequest } from "./errors.ts";

/** The body's JSON value, and its text (for fields passed on as written). */
export async function readJsonBody(request: Request, maxBytes: number): Promise<{ value: unknown; text: string }> {
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    if (!/^[0-9]{1,15}$/.test(declared.trim())) throw badRequest("invalid_content_length", "the Content-Length header is not a byte count");
    if (Number(declared) > maxBytes) throw tooLarge(maxBytes);
  }
  const bytes = await readBytes(request, maxBytes);
  if (bytes.length === 0) throw badRequest("invalid_body", "the request body is empty; send a JSON object");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw badRequest("invalid_body", "the request body is not UTF-8 text");
  }
  try {
    return { value: JSON.parse(text), text };
  } catch (err) {
    throw badRequest("invalid_json", `the request body is not valid JSON: ${(err as Error).message}`);
  }
}

async function readBytes(request: Request, maxBytes: number): Promise<Uint8Array> {
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      reader.releaseLock(); // the rest stays unread: the host closes the connection after the 413
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(413, "invalid_request_error", "request_too_large", `the request body is over the server's limit of ${maxBytes} bytes`);
}

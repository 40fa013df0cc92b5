// The static server behind `needle-wasm playground`: the package's own
// playground/, dist/, build/ and weights/ folders and nothing else, with the
// headers a cross-origin-isolated page needs (COOP/COEP, so the engine may use
// SharedArrayBuffer and threads) and the right MIME types (application/wasm
// for compileStreaming). Plain node:http, GET and HEAD only.

import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { extname, join, sep } from "node:path";
import { NeedleError } from "../errors.ts";

/** The folders served, by their URL prefix (each is a folder of the package root). */
export const SERVED_FOLDERS = ["playground", "dist", "build", "weights"] as const;

/** Where the page is. */
export const PLAYGROUND_PATH = "/playground/";

const MIME_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".wasm": "application/wasm",
  ".model": "application/octet-stream",
  ".needle": "application/octet-stream",
};

/** Sent with every response: cross-origin isolation, and nothing sniffed. */
const ISOLATION_HEADERS = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
  "cross-origin-resource-policy": "same-origin",
  "x-content-type-options": "nosniff",
} as const;

export interface PlaygroundServer {
  /** The page's address, `http://HOST:PORT/playground/`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serve `root`'s SERVED_FOLDERS on `host`:`port` (0: any free port).
 * Rejects with a NeedleError (PORT_IN_USE, LISTEN_FAILED) when it cannot listen.
 */
export async function startPlaygroundServer(root: string, host: string, port: number): Promise<PlaygroundServer> {
  const realRoot = await realpath(root);
  const server = createServer((req, res) => {
    handle(realRoot, req, res).catch(() => send(res, 500, "internal error"));
  });
  await listen(server, host, port);
  const address = server.address();
  const actualPort = typeof address === "object" && address !== null ? address.port : port;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${actualPort}${PLAYGROUND_PATH}`,
    port: actualPort,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EADDRINUSE") reject(new NeedleError("PORT_IN_USE", `port ${port} on ${host} is in use; pick another with --port (0: any free port)`, { cause: err }));
      else reject(new NeedleError("LISTEN_FAILED", `cannot listen on ${host}:${port}: ${err.message}`, { cause: err }));
    });
    server.listen(port, host, () => resolve());
  });
}

async function handle(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "method not allowed", { allow: "GET, HEAD" });
  const target = req.url ?? "/";
  const pathname = target.split(/[?#]/, 1)[0]!;
  if (pathname === "/" || pathname === "/playground") return redirect(res, PLAYGROUND_PATH + target.slice(pathname.length));
  const segments = urlSegments(pathname);
  if (segments === null || segments.length === 0 || !(SERVED_FOLDERS as readonly string[]).includes(segments[0]!)) return send(res, 404, "not found");
  const file = await servedFile(root, segments);
  if (file === null) return send(res, 404, "not found");
  res.writeHead(200, {
    ...ISOLATION_HEADERS,
    "content-type": MIME_TYPES[extname(file.path)] ?? "application/octet-stream",
    "content-length": String(file.size),
    "cache-control": "no-cache",
  });
  if (req.method === "HEAD") return void res.end();
  createReadStream(file.path).on("error", () => res.destroy()).pipe(res);
}

/**
 * The decoded path segments of a URL path, or null when any is unsafe: `.`,
 * `..`, empty inner segments, or one holding a slash, backslash, NUL or
 * other control character once decoded (so `%2e%2e`, `%2f` and `..\` are
 * refused, not resolved).
 */
export function urlSegments(pathname: string): string[] | null {
  if (!pathname.startsWith("/")) return null;
  const raw = pathname.slice(1).split("/");
  if (raw.length > 1 && raw[raw.length - 1] === "") raw[raw.length - 1] = "index.html";
  const segments: string[] = [];
  for (const part of raw) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(part);
    } catch {
      return null;
    }
    if (decoded === "" || decoded === "." || decoded === ".." || /[/\\\u0000-\u001f\u007f]/.test(decoded)) return null;
    segments.push(decoded);
  }
  return segments;
}

/** The regular file at root/segments, if it is one and (symlinks resolved) still inside a served folder. */
async function servedFile(root: string, segments: readonly string[]): Promise<{ path: string; size: number } | null> {
  try {
    const path = await realpath(join(root, ...segments));
    const folder = await realpath(join(root, segments[0]!));
    if (!path.startsWith(folder + sep)) return null;
    const info = await stat(path);
    return info.isFile() ? { path, size: info.size } : null;
  } catch {
    return null;
  }
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { ...ISOLATION_HEADERS, location, "content-length": "0" });
  res.end();
}

function send(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { ...ISOLATION_HEADERS, ...headers, "content-type": "text/plain; charset=utf-8", "content-length": String(Buffer.byteLength(text)) });
  res.end(text);
}

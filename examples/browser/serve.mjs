#!/usr/bin/env node
// A small static server for the browser example (and the Chromium test):
// serves the repository root (dist/, build/, examples/) and mounts the
// weights and tokenizer at /model/weights and /model/tokenizer, on
// 127.0.0.1 only. Plain node:http, no dependencies, no compression, every
// file with its Content-Length (so the page can show download progress).
//
//   node examples/browser/serve.mjs                                       (the bundled demo model)
//   node examples/browser/serve.mjs --weights needle.pkl --tokenizer needle.model [--port 8080]
//   node examples/browser/serve.mjs --weights needle-int4.needle          (a bundle: no tokenizer)

import { createServer } from "node:http";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { extname, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".wasm": "application/wasm",
  ".map": "application/json; charset=utf-8",
};

/**
 * Serve `root` and, for each `mounts` entry ("/model/weights" → a file
 * path), that file at that URL path. Resolves once listening; `requests`
 * counts GETs per URL path.
 */
export async function startServer({ root = ROOT, mounts = {}, host = "127.0.0.1", port = 0 } = {}) {
  const requests = new Map();
  const rootDir = resolve(root);
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = decodeURIComponent(url.pathname);
    requests.set(path, (requests.get(path) ?? 0) + 1);
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "method not allowed");
    let file = mounts[path] !== undefined ? resolve(mounts[path]) : resolve(rootDir, "." + path);
    if (mounts[path] === undefined && file !== rootDir && !file.startsWith(rootDir + sep)) return send(res, 403, "forbidden");
    let info;
    try {
      info = await stat(file);
      if (info.isDirectory()) {
        if (!path.endsWith("/")) {
          res.writeHead(301, { location: path + "/" + url.search });
          return res.end();
        }
        file = resolve(file, "index.html");
        info = await stat(file);
      }
    } catch {
      return send(res, 404, "not found");
    }
    res.writeHead(200, {
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      "content-length": String(info.size),
      "cache-control": "no-store",
    });
    if (req.method === "HEAD") return res.end();
    createReadStream(file).pipe(res);
  });
  await new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, host, ok);
  });
  const address = server.address();
  return {
    url: `http://${host}:${address.port}/`,
    requests,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

function send(res, status, text) {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": String(Buffer.byteLength(text)) });
  res.end(text);
}

function parseArgs(argv) {
  const args = { port: 8080 };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i];
    const value = argv[i + 1];
    if (!key.startsWith("--") || value === undefined) throw new Error(`usage: serve.mjs [--weights FILE [--tokenizer FILE]] [--port 8080] (at ${key})`);
    args[key.slice(2)] = value;
    i++;
  }
  return args;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = parseArgs(process.argv.slice(2));
  const mounts = {};
  if (args.weights) mounts["/model/weights"] = args.weights;
  if (args.tokenizer) mounts["/model/tokenizer"] = args.tokenizer;
  const server = await startServer({ mounts, port: Number(args.port) });
  console.log(`Serving ${ROOT} on ${server.url}`);
  const page = new URLSearchParams();
  if (args.weights) page.set("weights", "/model/weights");
  if (args.tokenizer) page.set("tokenizer", "/model/tokenizer");
  console.log(`Open ${server.url}examples/browser/${page.size ? `?${page}` : ""}`);
  if (!args.weights) console.log("(no --weights: the page loads the bundled demo model, weights/needle-demo.needle)");
}

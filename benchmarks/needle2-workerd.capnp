# workerd for benchmarks/needle2-runtimes.bench.ts: benchmarks/needle2-worker.js
# (bundled as wrangler does to tests/runtimes/.build/needle2-bench-worker.js by
# tests/runtimes/worker-bundle.ts) on a Needle 2 .cact, "needle2.cact" in the
# folder given with --directory-path models=…, on --socket-addr http=….
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "needle2", worker = .needle2Worker),
    (name = "models", disk = (path = "/nonexistent", writable = false)),
  ],
  sockets = [
    (name = "http", address = "127.0.0.1:8791", http = (), service = "needle2"),
  ],
);

const needle2Worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "../tests/runtimes/.build/needle2-bench-worker.js"),
    (name = "needle.wasm", wasm = embed "../build/needle.wasm"),
  ],
  bindings = [
    (name = "ASSETS", service = "models"),
    (name = "WEIGHTS_KEY", text = "needle2.cact"),
  ],
  compatibilityDate = "2026-10-01",
);

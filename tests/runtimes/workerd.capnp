# workerd serving examples/cloudflare-worker on 127.0.0.1 for
# tests/runtimes.test.ts. The test bundles the Worker (esbuild, the
# "workerd" export condition, as wrangler does) to .build/worker.js, whose
# `import … from "./needle.wasm"` is the wasm module embedded below: the
# same build/needle.wasm bytes every runtime runs. The model files come
# from a disk service bound as ASSETS (the fixture directory, given with
# --directory-path fixtures=…), read by the Worker as static-asset
# Responses. The socket address is set with --socket-addr http=….
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .needleWorker),
    (name = "fixtures", disk = (path = "/nonexistent", writable = false)),
  ],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "main")],
);

const needleWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed ".build/worker.js"),
    (name = "needle.wasm", wasm = embed "../../build/needle.wasm"),
  ],
  bindings = [
    (name = "ASSETS", service = "fixtures"),
    (name = "WEIGHTS_KEY", text = "tiny/needle_tiny.p4_numpy1.pkl"),
    (name = "TOKENIZER_KEY", text = "tokenizer/needle_test.model"),
  ],
  compatibilityDate = "2026-10-01",
);

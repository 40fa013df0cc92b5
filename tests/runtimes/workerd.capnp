# workerd serving examples/cloudflare-worker on 127.0.0.1 for
# tests/runtimes.test.ts. The test bundles the Worker (esbuild with the
# "workerd" export condition, as wrangler does) to .build/worker.js, whose
# `import … from "./needle.wasm"` is the wasm module embedded below: the
# same build/needle.wasm bytes every runtime runs. Two services run that
# Worker: "golden" on the fixture checkpoint + tokenizer (the golden
# end-to-end case), "bundle" on an int4 .needle bundle of it (the format
# the example converts Needle to), "demo" with no WEIGHTS_KEY (the
# example's default: the demo model its build step copies into model/;
# its OpenAI-compatible routes are checked with the openai SDK and the AI
# SDK), "needle2" on the fixture Needle 2 .cact (tiny_a.cact).
# Their model files come from disk services bound as ASSETS (folders the
# test fills, given with --directory-path models=… and demo-models=…),
# read by the Worker as static-asset Responses. Socket addresses are set
# with --socket-addr golden=…, bundle=…, demo=… and needle2=….
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "golden", worker = .goldenWorker),
    (name = "bundle", worker = .bundleWorker),
    (name = "demo", worker = .demoWorker),
    (name = "needle2", worker = .needle2Worker),
    (name = "models", disk = (path = "/nonexistent", writable = false)),
    (name = "demo-models", disk = (path = "/nonexistent", writable = false)),
  ],
  sockets = [
    (name = "golden", address = "127.0.0.1:8787", http = (), service = "golden"),
    (name = "bundle", address = "127.0.0.1:8788", http = (), service = "bundle"),
    (name = "demo", address = "127.0.0.1:8789", http = (), service = "demo"),
    (name = "needle2", address = "127.0.0.1:8790", http = (), service = "needle2"),
  ],
);

const modules :List(Workerd.Worker.Module) = [
  (name = "worker.js", esModule = embed ".build/worker.js"),
  (name = "needle.wasm", wasm = embed "../../build/needle.wasm"),
];

const goldenWorker :Workerd.Worker = (
  modules = .modules,
  bindings = [
    (name = "ASSETS", service = "models"),
    (name = "WEIGHTS_KEY", text = "needle_tiny.p4_numpy1.pkl"),
    (name = "TOKENIZER_KEY", text = "needle_test.model"),
  ],
  compatibilityDate = "2026-10-01",
);

const bundleWorker :Workerd.Worker = (
  modules = .modules,
  bindings = [
    (name = "ASSETS", service = "models"),
    (name = "WEIGHTS_KEY", text = "needle_tiny-int4.needle"),
  ],
  compatibilityDate = "2026-10-01",
);

const needle2Worker :Workerd.Worker = (
  modules = .modules,
  bindings = [
    (name = "ASSETS", service = "models"),
    (name = "WEIGHTS_KEY", text = "tiny_a.cact"),
  ],
  compatibilityDate = "2026-10-01",
);

const demoWorker :Workerd.Worker = (
  modules = .modules,
  bindings = [
    (name = "ASSETS", service = "demo-models"),
  ],
  compatibilityDate = "2026-10-01",
);

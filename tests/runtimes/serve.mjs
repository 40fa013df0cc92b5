// createHandler under Deno.serve or Bun.serve (tests/server-runtimes.test.ts
// starts it) on 127.0.0.1, a free port, the demo model, from dist/:
//
//   deno run --allow-read --allow-net=127.0.0.1 tests/runtimes/serve.mjs
//   bun tests/runtimes/serve.mjs
//
// Prints one JSON line { runtime, url } once listening; serves until killed.

import { Needle, createHandler } from "../../dist/index.js";

const needle = await Needle.load();
const handler = createHandler(needle, { model: "needle-demo" });
const hostname = "127.0.0.1";
const ready = (runtime, port) => console.log(JSON.stringify({ runtime, url: `http://${hostname}:${port}` }));

if (typeof Deno === "object") {
  Deno.serve({ hostname, port: 0, onListen: ({ port }) => ready("deno", port) }, handler);
} else if (typeof Bun === "object") {
  const server = Bun.serve({ hostname, port: 0, fetch: handler });
  ready("bun", server.port);
} else {
  console.error("serve.mjs runs under Deno or Bun");
  process.exit(2);
}

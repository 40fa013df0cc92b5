// The Worker that benchmarks/needle2-runtimes.bench.ts times from outside
// (a Worker's clocks stand still while it computes): GET /load?dtype=…
// loads ASSETS' WEIGHTS_KEY as a Needle2Model; POST /prefill?n=N runs N new
// prompt positions; POST /decode?n=N feeds N tokens one at a time. Each
// answers {"ok": true, ...} when done.

import { Needle2Model } from "needle-wasm";

/** @type {Needle2Model | undefined} */
let model;
let round = 0;

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get("n") ?? 0);
    if (url.pathname === "/load") {
      model?.dispose();
      const response = await env.ASSETS.fetch(new Request(new URL(`/${env.WEIGHTS_KEY}`, "https://assets.invalid")));
      model = await Needle2Model.load(response, { dtype: url.searchParams.get("dtype") ?? "f32", maxSequenceLength: 512 });
      return Response.json({ ok: true, memory: model.wasmMemoryBytes });
    }
    if (!model) return Response.json({ ok: false, error: "GET /load first" }, { status: 400 });
    if (url.pathname === "/prefill") {
      round++;
      const ids = Array.from({ length: n }, (_, i) => 2 + ((i * 7919 + round * 104729) % 8000)); // a new prompt each time: nothing cached
      model.prefill(ids);
      return Response.json({ ok: true, argmax: model.argmax() });
    }
    if (url.pathname === "/decode") {
      for (let k = 0; k < n; k++) model.step(2 + ((k * 31) % 8000));
      return Response.json({ ok: true, argmax: model.argmax() });
    }
    return Response.json({ ok: false, error: "unknown route" }, { status: 404 });
  },
};

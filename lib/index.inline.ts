// The "needle-wasm/inline" entry: the same API as lib/index.ts with
// build/needle.wasm inlined in the JavaScript (base64, decoded once), for
// bundlers and hosts that do not carry the .wasm file along. esbuild's
// binary loader turns this import into a Uint8Array (package.json
// build:entries). Not for Cloudflare Workers, which cannot compile bytes.

import needleWasm from "../build/needle.wasm";
import { provideEngine } from "./engine/wasm-module.ts";

provideEngine(needleWasm as unknown as Uint8Array);

export * from "./index.ts";

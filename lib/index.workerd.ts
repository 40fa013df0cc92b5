// The "workerd" / "worker" entry (Cloudflare Workers, workerd, wrangler):
// the same API as lib/index.ts, with build/needle.wasm imported as a Wasm
// module, because Workers refuse to compile WebAssembly from bytes ("Wasm
// code generation disallowed by embedder"). wrangler and workerd turn this
// import into a WebAssembly.Module; esbuild keeps it external (package.json
// build:entries).

import needleWasm from "../build/needle.wasm";
import { provideEngine } from "./engine/wasm-module.ts";

provideEngine(needleWasm);

export * from "./index.ts";

// `import x from "….wasm"`: a WebAssembly.Module in Workers and wrangler
// (lib/index.workerd.ts); the inline build's binary loader gives bytes
// instead (lib/index.inline.ts casts).
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}

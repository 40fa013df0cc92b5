// Worker entry for ort-worker.ts: Node 20 loads a worker's entry module
// before `--import tsx` takes effect there, so it goes through tsx's API.
import { tsImport } from "tsx/esm/api";

await tsImport("./ort-worker.ts", import.meta.url);

// A browser app that imports "needle-wasm" bundles with esbuild
// (--bundle --platform=browser), Vite and webpack 5, each as a new user runs
// it (no config file, no flags beyond esbuild's entry and output), and each
// bundle runs in Debian's Chromium: it loads the demo .needle bundle over
// HTTP and makes one call, which must answer as Node does. The package's
// "browser" export condition leads to a file with no node: imports and the
// .wasm inlined, so every bundler carries the engine along.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const NODE_MODULES = `${ROOT}node_modules/`;
const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
const DEMO = `${ROOT}weights/needle-demo.needle`;
const QUERY = "What's the weather in Paris?";
const TOOLS = [{ name: "get_weather", description: "Get current weather for a city.", parameters: { location: { type: "string", description: "City name.", required: true } } }];

const APP = `import { Needle } from "needle-wasm";

Needle.load({ weights: "/model.needle" })
  .then((needle) => needle.call(${JSON.stringify(QUERY)}, ${JSON.stringify(TOOLS)}))
  .then((r) => {
    window.result = { tokens: r.tokens, text: r.text, calls: r.calls };
    document.body.dataset.state = "done";
  })
  .catch((err) => {
    window.result = { error: String(err && err.stack || err) };
    document.body.dataset.state = "error";
  });
`;

type Bundler = "esbuild" | "vite" | "webpack";

/** The command line each bundler's users type, run in the app folder; and the page that loads the output. */
const BUNDLERS: Record<Bundler, { args: string[]; out: string; page?: string }> = {
  esbuild: { args: [`${NODE_MODULES}esbuild/bin/esbuild`, "src/index.js", "--bundle", "--platform=browser", "--outfile=dist/main.js"], out: "dist", page: '<script src="main.js"></script>' },
  vite: { args: [process.execPath, `${NODE_MODULES}vite/bin/vite.js`, "build"], out: "dist" },
  webpack: { args: [process.execPath, `${NODE_MODULES}webpack-cli/bin/cli.js`], out: "dist", page: '<script src="main.js"></script>' },
};

/** A fresh app folder: package.json, src/index.js, Vite's index.html, node_modules/needle-wasm → this checkout. */
function makeApp(base: string, bundler: Bundler): string {
  const dir = `${base}/${bundler}`;
  mkdirSync(`${dir}/src`, { recursive: true });
  mkdirSync(`${dir}/node_modules`);
  symlinkSync(ROOT, `${dir}/node_modules/needle-wasm`, "dir");
  writeFileSync(`${dir}/package.json`, JSON.stringify({ name: `app-${bundler}`, private: true, type: "module" }));
  writeFileSync(`${dir}/src/index.js`, APP);
  writeFileSync(`${dir}/index.html`, '<!doctype html><html><head><meta charset="utf-8"><title>app</title></head><body><script type="module" src="/src/index.js"></script></body></html>\n');
  return dir;
}

function build(bundler: Bundler, cwd: string): Promise<string> {
  const [command, ...args] = BUNDLERS[bundler].args as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    child.stdout.on("data", (d) => (log += d));
    child.stderr.on("data", (d) => (log += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("error", (err) => reject(new Error(`${bundler}: cannot start ${command}: ${err.message}`)));
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(log);
      else reject(new Error(`${bundler}: the build exited with ${signal ?? code}\n${log.slice(-4000)}`));
    });
  });
}

/** Every file under dir, with its bytes. */
function outputFiles(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) for (const [p, b] of outputFiles(path)) files.set(p, b);
    else files.set(path, readFileSync(path));
  }
  return files;
}

type StartServer = (options: { root: string; mounts: Record<string, string> }) => Promise<{ url: string; close(): Promise<void> }>;

test("esbuild, Vite and webpack 5 bundle an app importing needle-wasm for the browser, and each bundle calls the model in Chromium as Node does", async () => {
  const { Needle } = await import("needle-wasm");
  const node = await Needle.load({ weights: DEMO });
  const expected = await node.call(QUERY, TOOLS);
  node.dispose();

  const wasm = readFileSync(`${ROOT}build/needle.wasm`);
  const base = mkdtempSync(`${tmpdir()}/needle-bundlers-`);
  const { chromium } = await import("playwright-core");
  const { startServer } = (await import(`${ROOT}examples/browser/serve.mjs`)) as { startServer: StartServer };
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, timeout: 60_000 }).catch((err: Error) => {
    throw new Error(`chromium: cannot launch ${CHROMIUM}: ${err.message}`);
  });
  try {
    for (const bundler of Object.keys(BUNDLERS) as Bundler[]) {
      const app = makeApp(base, bundler);
      await build(bundler, app);
      const out = `${app}/${BUNDLERS[bundler].out}`;
      const page = BUNDLERS[bundler].page;
      if (page) writeFileSync(`${out}/index.html`, `<!doctype html><html><head><meta charset="utf-8"><title>app</title></head><body>${page}</body></html>\n`);

      const files = outputFiles(out);
      const carried = [...files].some(([path, bytes]) => (path.endsWith(".wasm") && bytes.equals(wasm)) || (path.endsWith(".js") && bytes.includes(wasm.toString("base64"))));
      assert.ok(carried, `${bundler}: the output neither emits nor inlines build/needle.wasm (${[...files.keys()].join(", ")})`);
      for (const [path, bytes] of files) if (path.endsWith(".js")) assert.not.match(bytes.toString(), /\bfrom\s*["']node:|import\(\s*["']node:|require\(\s*["']node:/, `${bundler}: ${path} imports a node: module`);

      const server = await startServer({ root: out, mounts: { "/model.needle": DEMO } });
      try {
        const tab = await browser.newPage();
        const errors: string[] = [];
        tab.on("pageerror", (err) => errors.push(err.message));
        tab.setDefaultTimeout(60_000);
        await tab.goto(server.url);
        await tab.waitForSelector("body[data-state]", { state: "attached" });
        const result = await tab.evaluate(() => (window as unknown as { result: unknown }).result);
        assert.equal(result, { tokens: expected.tokens, text: expected.text, calls: expected.calls }, `${bundler}: the bundle's call in Chromium (page errors: ${errors.join("; ")})`);
        await tab.close();
      } finally {
        await server.close();
      }
    }
  } finally {
    await browser.close();
    rmSync(base, { recursive: true, force: true });
  }
});

test.run();

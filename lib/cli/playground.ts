// `needle-wasm playground`: serve the browser playground (playground/ with
// the package's dist/, build/ and weights/) on 127.0.0.1 until interrupted.

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { countOption, flag, stringOption, type ParsedArgs } from "./args.ts";
import type { CliIO, Command } from "./command.ts";
import { startPlaygroundServer } from "./playground-server.ts";
import { packageRootUrl } from "../assets.ts";

const DEFAULT_PORT = 8017;
const DEFAULT_HOST = "127.0.0.1";

export const playgroundCommand: Command = {
  name: "playground",
  summary: "Serve the browser playground (your tools and query, the model in the page) on 127.0.0.1.",
  usage: "playground [--port N] [--open] [--host ADDRESS]",
  options: {
    port: { type: "string", value: "N", help: `the port to listen on (default ${DEFAULT_PORT}; 0: any free port)` },
    open: { type: "boolean", help: "open the page in the default browser (xdg-open, open or rundll32; never fails the command)" },
    host: { type: "string", value: "ADDRESS", help: `the address to listen on (default ${DEFAULT_HOST}: this machine only)` },
  },
  positionals: { min: 0, max: 0 },
  notes: [
    "Serves the package's playground/, dist/, build/ and weights/ folders and nothing else, with the",
    "COOP/COEP headers that make the page cross-origin isolated (so it may run the engine on threads).",
    "Prints the page's address, then serves until interrupted (Ctrl-C). The model runs in the page:",
    "the bundled demo model by default, a .needle bundle or needle.pkl + needle.model you pick there,",
    "or a Hugging Face model id the page downloads (kept in the browser's Cache API).",
    "",
    "examples:",
    "  needle-wasm playground --open",
    "  needle-wasm playground --port 9000",
  ],
  run,
};

async function run(args: ParsedArgs, io: CliIO): Promise<number> {
  const port = countOption(args, "port", 0, 65535) ?? DEFAULT_PORT;
  const host = stringOption(args, "host") ?? DEFAULT_HOST;
  const root = fileURLToPath(packageRootUrl());
  const server = await startPlaygroundServer(root, host, port);
  io.out(`needle-wasm playground: serving ${server.url} (Ctrl-C to stop)\n`);
  if (flag(args, "open")) openInBrowser(server.url, io);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await server.close();
  return 0;
}

/** Start the platform's opener; a missing one is a note on stderr, never a failure. */
function openInBrowser(url: string, io: CliIO): void {
  const [command, ...args] = process.platform === "darwin" ? ["open", url]
    : process.platform === "win32" ? ["rundll32", "url.dll,FileProtocolHandler", url]
    : ["xdg-open", url];
  const note = (why: string) => io.err.write(`needle-wasm playground: could not open a browser (${why}); open ${url} yourself\n`);
  try {
    const child = spawn(command!, args, { stdio: "ignore", detached: true });
    child.on("error", (err: NodeJS.ErrnoException) => note(`${command}: ${err.code ?? err.message}`));
    child.on("exit", (code) => {
      if (code !== 0 && code !== null) note(`${command} exited with ${code}`);
    });
    child.unref();
  } catch (err) {
    note((err as Error).message);
  }
}

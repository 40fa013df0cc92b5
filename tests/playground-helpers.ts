// What the playground's Chromium tests share: `needle-wasm playground` as a
// child process (the built dist/cli.js), Debian's Chromium through
// playwright-core, and the page's own signals (body[data-state],
// body[data-runs], the token chips and the stats rows).

import * as assert from "uvu/assert";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";

export const ROOT = fileURLToPath(new URL("../", import.meta.url));
export const CLI = join(ROOT, "dist/cli.js");
const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

export interface Served {
  url: string;
  child: ChildProcess;
  stderr: () => string;
}

/** Start `node dist/cli.js playground …args`; resolves once it prints its address. */
export function startCli(args: string[], env: Record<string, string> = {}): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "playground", ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.stdout.on("data", (d) => {
      stdout += d;
      const url = /serving (http:\/\/\S+)/.exec(stdout)?.[1];
      if (url) resolve({ url, child, stderr: () => stderr });
    });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`playground exited with ${code} before serving: ${stderr}`)));
  });
}

export function stop(served: Served): Promise<void> {
  return new Promise((resolve) => {
    if (served.child.exitCode !== null) return resolve();
    served.child.once("exit", () => resolve());
    served.child.kill("SIGTERM");
  });
}

export async function launchChromium(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing (apt-get install chromium)`);
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, timeout: 60_000 });
}

export interface OpenedPage {
  page: Page;
  /** Uncaught errors in the page. */
  errors: string[];
  /** The path of every request the page made. */
  requested: string[];
}

/** A new page in its own browser context (its own Cache API), at `url`. */
export async function openPage(browser: Browser, url: string, viewport = { width: 1280, height: 1000 }): Promise<OpenedPage> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  const requested: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  page.on("request", (r) => requested.push(new URL(r.url()).pathname));
  page.setDefaultTimeout(60_000);
  await page.goto(url);
  return { page, errors, requested };
}

/** Wait until the page is done loading a model, and check the state it ended in. */
export async function settled(page: Page, expect = "ready"): Promise<void> {
  await page.waitForSelector("body:not([data-state=loading])");
  const state = await page.getAttribute("body", "data-state");
  assert.is(state, expect, `page state (${await page.textContent("#model-status")})`);
}

/** Do `action` (which starts a model load) and wait for that load to end: ready, failed or waiting. */
export async function afterLoad(page: Page, action: () => Promise<unknown>): Promise<void> {
  const before = Number(await page.getAttribute("body", "data-loads"));
  await action();
  await page.waitForFunction((n) => Number(document.body.dataset.loads) > n, before);
}

/** Click Run (or press Enter in the query) and wait for that run to complete. */
export async function runOnce(page: Page, how: "click" | "enter" = "click"): Promise<void> {
  const before = Number(await page.getAttribute("body", "data-runs"));
  if (how === "click") await page.click("#run");
  else await page.press("#query", "Enter");
  await page.waitForSelector(`body[data-runs='${before + 1}'][data-state=ready]`);
}

export interface Chip {
  id: number;
  text: string | null;
  cls: string;
}

/** The token chips in `#box`. */
export const chips = (page: Page, box: string): Promise<Chip[]> =>
  page.$$eval(`#${box} .tok`, (els) => els.map((e) => ({ id: Number((e as HTMLElement).dataset.id), text: e.textContent, cls: e.className })));

/** The value of the stats row `key`. */
export const stat = async (page: Page, key: string): Promise<string> => (await page.textContent(`#stats tr[data-stat=${key}] td`)) ?? "";

/** The calls table's cells, row by row. */
export const callRows = (page: Page): Promise<(string | null)[][]> =>
  page.$$eval("#calls tbody tr", (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));

// console.mjs URL PNG: the query console in a real browser.
//
// It starts /usr/bin/chromium (or $CHROMIUM) headless with receiptd's
// fixed flags and a new empty profile, drives it with playwright-core over
// the DevTools protocol, loads GET URL, picks an example query, clicks Run,
// waits until the result pane holds the query's data, and saves a
// screenshot to PNG. It fails on a page error, a console error (a CSP
// violation shows as one) or a result with errors.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { deadline, endpoint } from "./lib.mjs";

const url = endpoint();
const png = process.argv[3];
if (!png) {
  console.error("usage: node console.mjs URL PNG");
  process.exit(2);
}
const example = process.env.EXAMPLE ?? "Newest consensus blocks";
deadline(90_000, "console.mjs");

const profile = mkdtempSync(join(tmpdir(), "receiptd-chromium-"));
const proc = spawn(process.env.CHROMIUM ?? "/usr/bin/chromium", [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  `--user-data-dir=${profile}`, "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
  "--window-size=1280,800", "about:blank",
], { stdio: ["ignore", "ignore", "pipe"], detached: true });
const exited = new Promise((resolve) => proc.on("exit", resolve));
// Chromium runs as a process group of its own (detached); ending it ends
// its renderer and utility processes too.
const killGroup = (sig) => { try { process.kill(-proc.pid, sig); } catch {} };
process.on("exit", () => killGroup("SIGKILL"));

/** Stops the browser (SIGTERM, then SIGKILL after 5 s) and removes its profile. */
async function stopChromium() {
  killGroup("SIGTERM");
  const t = setTimeout(() => killGroup("SIGKILL"), 5_000);
  await exited;
  clearTimeout(t);
  rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
}

// Chromium names its DevTools endpoint on stderr.
const wsEndpoint = await new Promise((resolve, reject) => {
  let buf = "";
  proc.stderr.on("data", (chunk) => {
    buf += chunk;
    const m = buf.match(/DevTools listening on (ws:\/\/\S+)/);
    if (m) resolve(m[1]);
  });
  proc.on("exit", (code) => reject(new Error(`chromium exited (${code}) before listening:\n${buf}`)));
});
const browser = await chromium.connectOverCDP(wsEndpoint);
const version = browser.version();
const context = browser.contexts()[0] ?? (await browser.newContext());
const page = await context.newPage();
await page.setViewportSize({ width: 1280, height: 800 });
const problems = [];
page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
page.on("console", (m) => {
  // Browsers ask for /favicon.ico on their own; the console has none.
  if (m.type() === "error" && !m.location().url.endsWith("/favicon.ico")) {
    problems.push(`console error: ${m.text()} (${m.location().url})`);
  }
});

const res = await page.goto(url);
console.log(`loaded ${url} in Chromium ${version}: HTTP ${res.status()}, title "${await page.title()}"`);
await page.selectOption("#examples", example);
await page.click("#run");
// The pane shows "…" while the request is out, then the JSON response.
await page.waitForFunction(() => document.getElementById("out").textContent.trim().startsWith("{"), null, { timeout: 20_000 });
const text = await page.textContent("#out");
await page.screenshot({ path: png, fullPage: false });
console.log(`screenshot: ${png}`);

const body = JSON.parse(text);
if (body.errors?.length) problems.push(`result has errors: ${JSON.stringify(body.errors)}`);
// Every example's data is one listing or object; it must not be empty.
const first = Object.values(body.data ?? {})[0];
const items = first?.edges ?? first?.nodes ?? (first ? [first] : []);
if (items.length === 0) problems.push(`result has no data: ${text.slice(0, 200)}`);
console.log(`example "${example}": ${text.length} characters of result, first lines:\n${text.split("\n").slice(0, 8).join("\n")}`);
await browser.close();
await stopChromium();
if (problems.length) {
  for (const p of problems) console.log(`FAIL ${p}`);
  process.exit(1);
}
console.log("console ok");
process.exit(0); // the browser's stderr pipe would keep node running

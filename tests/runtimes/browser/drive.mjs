// Drives Debian's chromium with playwright-core (no browser download): opens each page URL,
// waits for the page script's result and prints one JSON line per page, with what the page
// logged. Usage: node drive.mjs CHROMIUM URL…
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [executablePath, ...urls] = process.argv.slice(2);
const userDataDir = mkdtempSync(join(tmpdir(), "tinkex-chromium-"));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});
try {
  for (const url of urls) {
    const page = await context.newPage();
    const logs = [];
    page.on("console", (m) => logs.push(`${m.type()}: ${m.text()}`));
    page.on("pageerror", (e) => logs.push(`pageerror: ${e.message}`));
    await page.goto(url);
    await page.waitForFunction(() => globalThis.tinkexResult !== undefined, null, {
      timeout: 60_000,
    });
    const outcome = await page.evaluate(() => globalThis.tinkexResult);
    console.log(
      JSON.stringify({
        url,
        userAgent: await page.evaluate(() => navigator.userAgent),
        ...outcome,
        logs,
      }),
    );
    await page.close();
  }
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}

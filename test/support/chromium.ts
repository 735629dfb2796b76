/**
 * Debian's Chromium (/usr/bin/chromium) driven headless by puppeteer-core: no downloaded browser.
 * Without it, browser tests are skipped with a warning, unless MEMORIC_REQUIRE_INTEROP=1 (CI).
 */
import fs from "node:fs";
import puppeteer, { type Browser } from "puppeteer-core";
import { interopRequired } from "./foreign-client.js";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = fs.existsSync(CHROMIUM);

/** True when the file's browser part must be skipped (and says so once on stderr). */
export function skipBrowser(file: string): boolean {
  if (hasChromium || interopRequired) return false;
  process.stderr.write(`\n[${file}] SKIPPED browser runs: no ${CHROMIUM} (apt-get install chromium)\n`);
  return true;
}

export function launchChromium(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-extensions",
      "--no-first-run",
    ],
  });
}

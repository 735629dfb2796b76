/**
 * Spec: the browser console at /console/ — served on the public port under a strict CSP and its
 * companion headers, hashed assets cached for good and index.html revalidated, off with
 * MEMORIC_CONSOLE=off — and driven in headless Chromium: the bootstrap admin signs in, creates two
 * memories, searches and sees the explain bars, opens the history of an edited memory, filters the
 * audit log to memory.created, sees the timeline drawn and the chain verified; a USER is offered no
 * admin view (and moves between views by keyboard) and the server denies the admin RPCs. No console
 * error, page error or CSP violation is allowed along the way. Screenshots of every view (1280×800,
 * and the list at phone width) go to test-results/console/ for review. Without MEMORIC_CORS_ORIGINS,
 * a page on another origin calling the server gets a CORS failure in the browser, and the server logs
 * the refused origin at debug level.
 */
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Browser, Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditService } from "../../gen/memoric/v1/audit_pb.js";
import { AuthService, Role } from "../../gen/memoric/v1/auth_pb.js";
import { EndUserService } from "../../gen/memoric/v1/end_users_pb.js";
import { MemoryService } from "../../gen/memoric/v1/memory_pb.js";
import { CONSOLE_CSP } from "../../src/server/console.js";
import { launchChromium, skipBrowser } from "../support/chromium.js";
import { startTestServer, type TestServer } from "../support/server.js";

const ADMIN = { username: "console-admin", password: "a long console passphrase 7" };
const USER = { username: "console-user", password: "another long passphrase 42" };
const SHOTS = path.resolve(import.meta.dirname, "../../test-results/console");
const skip = skipBrowser("console.test.ts");

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    MEMORIC_BOOTSTRAP_ADMIN_USERNAME: ADMIN.username,
    MEMORIC_BOOTSTRAP_ADMIN_EMAIL: "console-admin@example.com",
    MEMORIC_BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
    MEMORIC_REVOCATION_CACHE_MS: "0", // an ended session is refused at once (no waiting in the test)
  });
  const auth = createClient(AuthService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }));
  await auth.register({ username: USER.username, email: "console-user@example.com", password: USER.password });
});

afterAll(async () => {
  await server?.close();
});

describe("serving /console/", () => {
  it("answers index.html with the CSP and companion headers, revalidated on every load", async () => {
    const res = await fetch(`${server.url}/console/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("content-security-policy")).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).toContain("connect-src 'self'");
    expect(CONSOLE_CSP).not.toContain("unsafe");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    expect(html).not.toMatch(/\sstyle=/);
    const assets = [...html.matchAll(/(?:src|href)="(assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toHaveLength(2);
    for (const asset of assets) {
      expect(asset).toMatch(/^assets\/app-[A-Z0-9]{8}\.(js|css)$/);
      const a = await fetch(`${server.url}/console/${asset}`);
      expect(a.status).toBe(200);
      expect(a.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(a.headers.get("content-security-policy")).toBe(CONSOLE_CSP);
      expect((await a.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
  });

  it("redirects /console, answers unknown files 404 and refuses other methods", async () => {
    const bare = await fetch(`${server.url}/console`, { redirect: "manual" });
    expect(bare.status).toBe(308);
    expect(bare.headers.get("location")).toBe("/console/");
    const missing = await fetch(`${server.url}/console/assets/../../etc/passwd`);
    expect(missing.status).toBe(404);
    const post = await fetch(`${server.url}/console/`, { method: "POST", body: "x" });
    expect(post.status).toBe(405);
    const info = (await (await fetch(`${server.url}/`)).json()) as Record<string, unknown>;
    expect(info.console).toBe("/console/");
  });

  it("is not served with MEMORIC_CONSOLE=off", async () => {
    const off = await startTestServer({ MEMORIC_CONSOLE: "off" });
    try {
      const res = await fetch(`${off.url}/console/`);
      expect(res.status).not.toBe(200);
      expect(res.headers.get("content-security-policy")).toBeNull();
      await res.arrayBuffer();
      const info = (await (await fetch(`${off.url}/`)).json()) as Record<string, unknown>;
      expect(info.console).toBeUndefined();
    } finally {
      await off.close();
    }
  });
});

/** The console in a tab, with every console error, page error and CSP violation collected. */
async function openConsole(browser: Browser, problems: string[]): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warn") problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`pageerror: ${String(e)}`));
  await page.exposeFunction("reportViolation", (v: string) => problems.push(`csp: ${v}`));
  await page.evaluateOnNewDocument(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      (window as unknown as { reportViolation(v: string): void }).reportViolation(
        `${e.violatedDirective} ${e.blockedURI}`,
      );
    });
  });
  const res = await page.goto(`${server.url}/console/`, { waitUntil: "load" });
  expect(res?.headers()["content-security-policy"]).toBe(CONSOLE_CSP);
  return page;
}

async function signIn(page: Page, who: { username: string; password: string }) {
  await page.waitForSelector("#login-username");
  await page.type("#login-username", who.username);
  await page.type("#login-password", who.password);
  await page.click("#login-form button[type=submit]");
  await page.waitForSelector("#nav-memories");
}

async function go(page: Page, hash: string, ready: string) {
  await page.evaluate((h) => {
    window.location.hash = h;
  }, hash);
  try {
    await page.waitForSelector(ready);
  } catch (err) {
    await shot(page, `failed-${hash.replace(/\W/g, "")}`); // what the view showed instead
    throw err;
  }
}

async function shot(page: Page, name: string) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** Sets a controlled field's value the way typing does (one input event). */
async function fill(page: Page, selector: string, value: string) {
  await page.$eval(
    selector,
    (el, v) => {
      (el as HTMLTextAreaElement).value = v;
      el.dispatchEvent(new Event("input", { bubbles: true }));
    },
    value,
  );
}

async function textOf(page: Page, selector: string): Promise<string> {
  return page.$eval(selector, (el) => el.textContent ?? "");
}

describe.skipIf(skip)("the console in headless Chromium", () => {
  let browser: Browser;
  const problems: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it("walks the admin through memories, search, history, audit log, timeline and chain verification", async () => {
    const page = await openConsole(browser, problems);
    await shot(page, "00-sign-in");
    await signIn(page, ADMIN);

    const contents = ["The deploy window for Atlas is Tuesday at noon", "Atlas releases need two reviewers"];
    for (const content of contents) {
      await fill(page, "#new-content", content);
      await page.click("#create-memory-submit");
      await page.waitForFunction(
        (c) => [...document.querySelectorAll("td.content a")].some((a) => a.textContent === c),
        {},
        content,
      );
    }
    await shot(page, "01-memories");

    // Edit the first memory, then read its history as a diff.
    const [link] = await page.$$("::-p-text(The deploy window for Atlas)");
    await link!.click();
    await page.waitForSelector("#edit-content");
    await fill(page, "#edit-content", "The deploy window for Atlas is Thursday at noon");
    await page.click("#edit-memory-submit");
    await page.waitForFunction(() => document.querySelectorAll("#memory-history > li").length === 2);
    expect(await textOf(page, "#memory-history ins")).toContain("Thursday");
    expect(await textOf(page, "#memory-history del")).toContain("Tuesday");
    await shot(page, "02-memory-history");

    await go(page, "#/search", "#search-query");
    await fill(page, "#search-query", "Atlas deploy window");
    await page.click("#search-submit");
    await page.waitForSelector("#search-results svg.explain rect");
    const widths = await page.$$eval("#search-results svg.explain rect", (rs) =>
      rs.map((r) => Number(r.getAttribute("width"))),
    );
    expect(widths.some((w) => w > 0)).toBe(true);
    await shot(page, "03-search");

    await go(page, "#/audit", "#a-event");
    await page.waitForFunction(() =>
      [...(document.querySelector("#a-event") as HTMLSelectElement).options].some((o) => o.value === "memory.created"),
    );
    await page.select("#a-event", "memory.created");
    await page.click("#audit-apply");
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll("#audit-table tbody tr")];
      return rows.length >= 2 && rows.every((r) => r.getAttribute("data-event") === "memory.created");
    });
    expect(Number(await textOf(page, "#audit-total"))).toBe(2);
    await shot(page, "04-audit-log");

    await go(page, "#/audit-overview", "#timeline-chart");
    // Chart.js draws in an effect after the canvas is mounted (and again when it resizes): wait for pixels.
    const drawn = await page.waitForFunction(() => {
      const canvas = document.querySelector("#timeline-chart") as HTMLCanvasElement;
      if (canvas.width === 0 || canvas.height === 0) return false;
      const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
      return painted > 0 && { painted, width: canvas.width };
    });
    const { painted, width } = (await drawn.jsonValue()) as { painted: number; width: number };
    expect(width).toBeGreaterThan(0);
    expect(painted).toBeGreaterThan(0);
    await page.waitForSelector("#audit-stats");
    await page.click("#verify-chain");
    await page.waitForSelector("#verify-result .ok, #verify-result .bad, main .error");
    expect(await textOf(page, "#verify-result")).toMatch(/^OK — \d+ rows recomputed/);
    await shot(page, "05-audit-overview");

    for (const [view, ready] of [
      ["context", "#ctx-query"],
      ["keys", "#create-key"],
      ["end-users", "#eu-title"],
      ["users", "#users-table"],
    ] as const) {
      await go(page, `#/${view}`, ready);
      await shot(page, `06-${view}`);
    }
    await go(page, "#/memories", "td.content a");
    await page.setViewport({ width: 390, height: 844 });
    await shot(page, "07-memories-phone");
    await page.click("#sign-out");
    await page.waitForSelector("#login-username");
    await page.close();
    expect(problems).toEqual([]);
  }, 120_000);

  it("offers a USER no admin view, the server denies admin RPCs, an ended session signs out", async () => {
    const page = await openConsole(browser, problems);
    await signIn(page, USER);
    expect(await page.$$eval("nav a", (as) => as.map((a) => a.id))).toEqual([
      "nav-memories",
      "nav-search",
      "nav-context",
      "nav-keys",
      "nav-end-users",
    ]);
    // Keyboard only: the skip button first, then the views in order; Enter opens one.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const focused = async () => page.evaluate(() => document.activeElement?.id || document.activeElement?.className);
    await page.keyboard.press("Tab");
    expect(await focused()).toBe("skip");
    await page.keyboard.press("Tab");
    expect(await focused()).toBe("nav-memories");
    await page.keyboard.press("Tab");
    expect(await focused()).toBe("nav-search");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#search-query");
    await go(page, "#/audit", "main .error");
    expect(await textOf(page, "main .error")).toContain("audit:read");
    await shot(page, "08-user-denied-view");
    expect(problems).toEqual([]);

    // Every session of the user ended elsewhere: the next call fails (refresh included) and the
    // console returns to the sign-in form. The browser logs the refused calls (401), nothing else.
    const transport = createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" });
    const other = await createClient(AuthService, transport).login(USER);
    await createClient(AuthService, transport).logout(
      { allSessions: true },
      { headers: { authorization: `Bearer ${other.accessToken}` } },
    );
    await go(page, "#/keys", "#login-username");
    await page.close();
    const unexpected = problems.splice(0).filter((p) => !p.includes("status of 401"));
    expect(unexpected).toEqual([]);

    // The same credential, straight to the RPCs the console hides.
    const login = await createClient(AuthService, transport).login(USER);
    const headers = { authorization: `Bearer ${login.accessToken}` };
    const denied = async (call: Promise<unknown>) => {
      const err = await call.then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
      expect(err?.code).toBe(Code.PermissionDenied);
    };
    await denied(createClient(AuditService, transport).queryAuditLogs({}, { headers }));
    await denied(createClient(AuditService, transport).verifyAuditChain({}, { headers }));
    await denied(createClient(AuthService, transport).listUsers({}, { headers }));
  }, 60_000);

  it("keys, context, export, live tail, end-user erasure, and a user's roles and activation", async () => {
    const transport = createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" });
    const login = await createClient(AuthService, transport).login(ADMIN);
    const headers = { authorization: `Bearer ${login.accessToken}` };
    const memories = createClient(MemoryService, transport);
    const endUserId = "customer-4711";
    await createClient(EndUserService, transport).createEndUser({ endUserId }, { headers });
    await memories.createMemory({ endUserId, content: "Prefers invoices by post" }, { headers });

    const page = await openConsole(browser, problems);
    await signIn(page, ADMIN);

    await go(page, "#/keys", "#key-name");
    await fill(page, "#key-name", "ci reader");
    await page.click("#scope-memories-read");
    await page.click("#create-key-submit");
    await page.waitForSelector("#key-secret");
    expect(await textOf(page, "#key-secret")).toMatch(/^mk_/);
    await page.waitForFunction(() => document.querySelector("main table")?.textContent?.includes("ci reader"));
    await page.click("::-p-text(Revoke)");
    await page.click("::-p-text(Yes, revoke)");
    await page.waitForFunction(() => document.querySelector("main tbody")?.textContent?.includes("revoked"));

    await go(page, "#/context", "#ctx-query");
    await fill(page, "#ctx-query", "Atlas reviewers");
    await page.click("#ctx-submit");
    await page.waitForSelector("#ctx-output");
    expect(await textOf(page, "#ctx-output")).toContain("Atlas releases need two reviewers");
    expect(await textOf(page, "label[for=ctx-meter]")).toMatch(/^\d+ of 4000 characters/);
    await page.click("#export-download");
    await page.waitForFunction(() => document.querySelector("main .status")?.textContent?.startsWith("Exported"));

    await go(page, "#/audit", "#a-event");
    await page.waitForFunction(() =>
      [...(document.querySelector("#a-event") as HTMLSelectElement).options].some((o) => o.value === "memory.created"),
    );
    await page.select("#a-event", "memory.created");
    await page.click("#audit-apply");
    await page.waitForFunction(() => document.querySelector("#audit-total")?.textContent === "3");
    await page.click("#a-tail");
    await memories.createMemory({ content: "Tailed while watching" }, { headers });
    await page.waitForFunction(() => document.querySelectorAll("#audit-table tbody tr").length === 4, {
      timeout: 15_000,
    });
    await page.click("#a-tail");

    await go(page, "#/end-users", `a[href="#/end-users/${endUserId}"]`);
    expect(await textOf(page, "main tbody")).toContain("1"); // its memory count
    await page.click(`a[href="#/end-users/${endUserId}"]`);
    await page.waitForFunction(
      () => document.querySelector("td.content a")?.textContent === "Prefers invoices by post",
    );
    await page.click("#issue-token button[type=submit]");
    await page.waitForSelector("#issue-token .secret");
    await page.click("::-p-text(Erase end user)");
    const what = await textOf(page, ".confirm p");
    expect(what).toContain(`"${endUserId}"`);
    expect(what).toContain("1 memories");
    await shot(page, "09-end-user-erase-confirmation");
    await page.click("::-p-text(Yes, erase end user)");
    await page.waitForSelector("main p.ok");
    expect(await textOf(page, "main p.ok")).toMatch(/^Erased: 1 memories/);

    // Users: the USER becomes read-only, is deactivated, then activated again.
    await go(page, "#/users", "#users-table");
    const inRow = (what: string) => page.locator(`::-p-xpath(//tr[td[1][starts-with(., 'console-user')]]${what})`);
    await inRow("//input[substring(@id, string-length(@id) - 1) = '-2']").click(); // USER off
    await inRow("//input[substring(@id, string-length(@id) - 1) = '-3']").click(); // READ_ONLY on
    await inRow("//button[normalize-space() = 'Save roles']").click();
    const users = createClient(AuthService, transport);
    const rolesOf = async () =>
      (await users.listUsers({}, { headers })).users.find((u) => u.username === USER.username)?.roles;
    await expect.poll(rolesOf).toEqual([Role.READ_ONLY]);
    await go(page, "#/memories", "#memories-title");
    await go(page, "#/users", "#users-table");
    await inRow("//button[normalize-space() = 'Deactivate']").click();
    await inRow("/td[normalize-space() = 'deactivated']").wait();
    await inRow("//button[normalize-space() = 'Activate']").click();
    await inRow("/td[normalize-space() = 'active']").wait();
    await page.close();
    expect(problems).toEqual([]);
  }, 120_000);
});

describe.skipIf(skip)("a page on another origin, without MEMORIC_CORS_ORIGINS", () => {
  let other: http.Server;
  let browser: Browser;

  beforeAll(async () => {
    other = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" }).end('<!doctype html><meta charset="utf-8"><p>elsewhere');
    });
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => other?.close(r));
  });

  it("gets a CORS failure, and the server logs the refused origin at debug", async () => {
    const origin = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    const page = await browser.newPage();
    const messages: string[] = [];
    page.on("console", (m) => messages.push(m.text()));
    await page.goto(origin, { waitUntil: "load" });
    // What Connect-Web sends for a unary call: a JSON POST with its protocol header (so, a preflight).
    const outcome = await page.evaluate(
      (url) =>
        fetch(`${url}/memoric.v1.AuthService/Login`, {
          method: "POST",
          headers: { "content-type": "application/json", "connect-protocol-version": "1" },
          body: "{}",
        }).then(
          (r) => `answered ${r.status}`,
          (e: unknown) => String(e),
        ),
      server.url,
    );
    await page.close();
    expect(outcome).toBe("TypeError: Failed to fetch");
    expect(messages.some((m) => m.includes(`from origin '${origin}' has been blocked by CORS policy`))).toBe(true);
    const refused = server.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === "CORS: preflight refused, origin not allowed");
    expect(refused).toContainEqual(
      expect.objectContaining({ level: 20, origin, method: "POST", path: "/memoric.v1.AuthService/Login" }),
    );
  }, 60_000);
});

/**
 * Spec: @memoric/client bundled with esbuild for the browser holds exactly one copy of
 * @bufbuild/protobuf and @connectrpc/connect (the package's peers; the server's gen/ is not pulled
 * in), and the bundle runs the client scenario in headless Chromium (Debian's) from another origin
 * (CORS via MEMORIC_CORS_ORIGINS), over Connect and gRPC-Web.
 *
 * Needs /usr/bin/chromium (apt-get install chromium; installed by .ci/run). Without it the browser
 * part is skipped with a warning, unless MEMORIC_REQUIRE_INTEROP=1 (CI).
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as esbuild from "esbuild";
import type { Browser } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ClientFixture, clientFixture, expiredSession, runTag } from "../support/client-harness.js";
import { launchChromium, skipBrowser } from "../support/chromium.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { checkScenarioReport, type ScenarioReport } from "./report.js";
import type { ScenarioParams } from "./scenario.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const skip = skipBrowser("browser-client.test.ts");

let out: string;
let bundle: string;
let meta: esbuild.Metafile;

beforeAll(async () => {
  // The package as published: its dist/, built by its own build script.
  await promisify(execFile)("npm", ["run", "build", "-w", "@memoric/client"], { cwd: ROOT, timeout: 120_000 });
  out = fs.mkdtempSync(path.join(os.tmpdir(), "memoric-browser-"));
  const result = await esbuild.build({
    entryPoints: [path.join(ROOT, "test/clients/browser/entry.ts")],
    bundle: true,
    minify: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    metafile: true,
    outfile: path.join(out, "bundle.js"),
    logLevel: "silent",
  });
  meta = result.metafile;
  bundle = fs.readFileSync(path.join(out, "bundle.js"), "utf8");
}, 180_000);

afterAll(() => {
  if (out) fs.rmSync(out, { recursive: true, force: true });
});

/** The distinct installed copies (package roots) of `name` among the bundle's inputs. */
function copiesOf(name: string): string[] {
  const roots = new Set<string>();
  for (const input of Object.keys(meta.inputs)) {
    const i = input.lastIndexOf(`node_modules/${name}/`);
    if (i >= 0) roots.add(input.slice(0, i + `node_modules/${name}`.length));
  }
  return [...roots];
}

describe("the browser bundle", () => {
  it("holds one copy of @bufbuild/protobuf and of @connectrpc/connect, and the browser transport", () => {
    expect(copiesOf("@bufbuild/protobuf")).toHaveLength(1);
    expect(copiesOf("@connectrpc/connect")).toHaveLength(1);
    expect(copiesOf("@connectrpc/connect-web")).toHaveLength(1);
    expect(copiesOf("@connectrpc/connect-node")).toEqual([]);
    const inputs = Object.keys(meta.inputs);
    // The client's own generated code, never the server's gen/.
    expect(inputs.some((f) => f.startsWith("gen/"))).toBe(false);
    expect(inputs.some((f) => f.startsWith("clients/typescript/dist/gen/memoric/v1/"))).toBe(true);
    expect(bundle.length).toBeGreaterThan(0);
  });
});

describe.skipIf(skip)("the scenario in headless Chromium", () => {
  let page: http.Server;
  let origin: string;
  let server: TestServer;
  let fx: ClientFixture;
  let browser: Browser;

  beforeAll(async () => {
    page = http.createServer((req, res) => {
      if (req.url === "/bundle.js") {
        res.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
      } else {
        const html = '<!doctype html><meta charset="utf-8"><script type="module" src="/bundle.js"></script>';
        res.writeHead(200, { "content-type": "text/html" }).end(html);
      }
    });
    await new Promise<void>((resolve) => page.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
    server = await startTestServer({ MEMORIC_CORS_ORIGINS: origin });
    fx = await clientFixture(server);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await new Promise((r) => page?.close(r));
  });

  for (const protocol of ["connect", "grpc-web"] as const) {
    it(`runs over ${protocol}`, async () => {
      const tab = await browser.newPage();
      try {
        const errors: string[] = [];
        tab.on("pageerror", (e) => errors.push(String(e)));
        await tab.goto(origin, { waitUntil: "load" });
        await tab.waitForFunction("typeof globalThis.runScenario === 'function'", { timeout: 30_000 });
        const tag = runTag();
        const params: ScenarioParams = {
          baseUrl: server.url,
          protocol,
          auth: { username: fx.username, password: fx.password },
          tag,
          endUsers: fx.endUsers,
          expired: await expiredSession(server, fx.username),
        };
        const report = (await tab.evaluate(
          (p) => (globalThis as unknown as { runScenario: (p: unknown) => Promise<unknown> }).runScenario(p),
          params,
        )) as ScenarioReport;
        expect(errors).toEqual([]);
        checkScenarioReport(report, tag, "user");
      } finally {
        await tab.close();
      }
    }, 90_000);
  }
});

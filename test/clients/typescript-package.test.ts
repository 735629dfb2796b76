/**
 * Spec: `npm pack` of @memoric/client makes a tarball that, installed into a fresh directory with
 * its peers (@bufbuild/protobuf, @connectrpc/connect), runs the quick-start example against the real
 * server; the tarball ships the built code (dist/) and no test or server files.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type ClientFixture, clientFixture } from "../support/client-harness.js";
import { startTestServer, type TestServer } from "../support/server.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const npmEnv = {
  ...process.env,
  npm_config_audit: "false",
  npm_config_fund: "false",
  npm_config_update_notifier: "false",
};

let work: string;
let server: TestServer;
let fx: ClientFixture;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "memoric-npm-pack-"));
  server = await startTestServer();
  fx = await clientFixture(server);
});
afterAll(async () => {
  await server?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

it("packs, installs into a fresh directory and runs the example", async () => {
  const { stdout } = await run("npm", ["pack", "-w", "@memoric/client", "--json", "--pack-destination", work], {
    cwd: ROOT,
    env: npmEnv,
    timeout: 180_000,
  });
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf("["))) as { filename: string; files: { path: string }[] }[];
  const files = packed!.files.map((f) => f.path);
  expect(files).toEqual(
    expect.arrayContaining(["package.json", "dist/index.js", "dist/browser.js", "dist/index.d.ts"]),
  );
  expect(files.filter((f) => !/^(package\.json|README\.md|(dist|src|examples)\/)/.test(f))).toEqual([]);

  const app = path.join(work, "app");
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  const tarball = path.join(work, packed!.filename);
  await run(
    "npm",
    ["install", "--prefer-offline", tarball, "@bufbuild/protobuf@~2.13.0", "@connectrpc/connect@~2.1.1"],
    {
      cwd: app,
      env: npmEnv,
      timeout: 180_000,
    },
  );
  fs.copyFileSync(path.join(ROOT, "clients/typescript/examples/quickstart.mjs"), path.join(app, "quickstart.mjs"));
  const out = await run("node", ["quickstart.mjs"], {
    cwd: app,
    env: { ...process.env, MEMORIC_URL: server.url, MEMORIC_API_KEY: fx.apiKey },
    timeout: 60_000,
  });
  expect(out.stdout).toContain("The user is allergic to peanuts");
  // One copy of the protobuf runtime in the installed tree.
  const { stdout: tree } = await run("npm", ["ls", "--all", "--parseable", "@bufbuild/protobuf"], {
    cwd: app,
    env: npmEnv,
  });
  expect(new Set(tree.trim().split("\n")).size).toBe(1);
}, 300_000);

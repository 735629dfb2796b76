/**
 * Spec: production runs compiled JavaScript. `npm run build` compiles src/ and gen/ (with the SQL
 * migrations beside them) and the browser console, and `node <out>/main.js`, without tsx, starts on the
 * embedded database, answers health checks, serves the console's built files, and stops with exit 0 on
 * SIGTERM. The compiled CLI runs too.
 */
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";
import { loadMigrations } from "../src/store/migrate.js";

const ROOT = path.resolve(import.meta.dirname, "..");

/** Runs a command to completion without blocking this worker's event loop (vitest talks to it). */
async function run(
  file: string,
  args: string[],
  cwd = ROOT,
): Promise<{ status: number; output: string; stdout: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(file, args, { cwd, encoding: "utf8" });
    return { status: 0, output: stderr + stdout, stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return {
      status: typeof e.code === "number" ? e.code : 1,
      output: (e.stderr ?? "") + (e.stdout ?? ""),
      stdout: e.stdout ?? "",
    };
  }
}
// Inside the checkout (git-ignored) so that the compiled modules resolve node_modules and
// package.json as dist/ does; never dist/ itself, which a developer may be using.
const out = fs.mkdtempSync(path.join(ROOT, ".tmp-build-"));
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "memoric-build-"));
afterAll(() => {
  fs.rmSync(out, { recursive: true, force: true });
  fs.rmSync(dataDir, { recursive: true, force: true });
});

it("npm run build, then node main.js serves and stops on SIGTERM", { timeout: 240_000 }, async () => {
  const build = await run("npm", ["run", "build", "--", out]);
  expect(build.output).toContain("built");
  expect(build.status).toBe(0);
  expect(fs.existsSync(path.join(out, "main.js"))).toBe(true);
  expect(fs.existsSync(path.join(out, "gen/memoric/v1/memory_pb.js"))).toBe(true);
  const migrations = fs.readdirSync(path.join(out, "src/store/migrations")).sort();
  expect(migrations).toEqual(loadMigrations().map((m) => `${m.version}.sql`));

  const cli = await run(process.execPath, [path.join(out, "src/cli/main.js"), "--help"]);
  expect(cli.status).toBe(0);
  expect(cli.stdout).toMatch(/^usage: memoric/);

  // Plain node: no tsx loader, so any .ts left in the import graph would fail to load.
  const child = spawn(process.execPath, [path.join(out, "main.js")], {
    cwd: os.tmpdir(), // not the checkout: nothing may depend on the working directory
    env: {
      ...process.env,
      DATABASE_URL: "",
      MEMORIC_DATA_DIR: dataDir,
      PORT: "0",
      HOST: "127.0.0.1",
      MEMORIC_PRINT_BANNER: "0",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.on("data", (d: Buffer) => {
        output += d.toString();
        const m = /"port":(\d+),.*"msg":"memoric listening"/.exec(output);
        if (m) resolve(Number(m[1]));
      });
      child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
      void exited.then((code) => reject(new Error(`exited ${code}:\n${output}`)));
    });
    const check = await fetch(`http://127.0.0.1:${port}/grpc.health.v1.Health/Check`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ service: "readiness" }),
    });
    expect(await check.json()).toEqual({ status: "SERVING" });
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    // The console from <out>/public/console/, as the build wrote it (no esbuild at run time).
    const built = fs.readdirSync(path.join(out, "public/console/assets"));
    const index = await fetch(`http://127.0.0.1:${port}/console/`);
    expect(index.status).toBe(200);
    expect(index.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await index.text();
    for (const name of built) {
      expect(html).toContain(`assets/${name}`);
      expect((await fetch(`http://127.0.0.1:${port}/console/assets/${name}`)).status).toBe(200);
    }
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(output).toContain('"msg":"memoric stopped"');
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
  }
});

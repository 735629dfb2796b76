/**
 * Spec: the real PostgreSQL cluster stops (fast shutdown: backends terminated) and starts again
 * under write load from several users. The process lives, readiness goes NOT_SERVING and comes
 * back without a restart (each within 2 s of the stop/start command's return), calls end OK,
 * Unavailable or DeadlineExceeded, every acknowledged write is readable and the audit chain verifies.
 *
 * It restarts the machine's cluster, so it never runs beside other test files: it is outside
 * `npm test` (vitest.config.ts excludes test/cluster/) and runs alone via `npm run test:cluster`
 * (vitest.cluster.config.ts), as root, with DATABASE_URL on that cluster. The cluster is started
 * again in a finally, whatever happens.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { checkAftermath, ReadinessObserver, recordProcessErrors, sleep, startWriteLoad } from "../support/outage.js";
import { startTestServer, type TestServer } from "../support/server.js";

const BOUND_MS = 2000;
const version = fs.existsSync("/etc/postgresql") ? fs.readdirSync("/etc/postgresql").sort().pop() : undefined;

function ctl(action: "stop" | "start"): number {
  const started = performance.now();
  const args = ["--skip-systemctl-redirect", version!, "main", action, ...(action === "stop" ? ["-m", "fast"] : [])];
  execFileSync("pg_ctlcluster", args, { stdio: "inherit", timeout: 60_000 });
  return performance.now() - started;
}

function clusterUp(): boolean {
  try {
    execFileSync("pg_isready", ["-q", "-h", "127.0.0.1"], { timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

async function ensureClusterUp(): Promise<void> {
  if (clusterUp()) return;
  try {
    ctl("start");
  } catch {
    // "start" fails on a cluster that is still starting; the wait below decides.
  }
  for (let i = 0; i < 60 && !clusterUp(); i++) await sleep(1000);
}

let server: TestServer;

beforeAll(async () => {
  if (!process.env.DATABASE_URL)
    throw new Error("the cluster-restart test needs DATABASE_URL on the local PostgreSQL cluster");
  if (!version || process.getuid?.() !== 0)
    throw new Error("the cluster-restart test needs root and a cluster under /etc/postgresql");
  // "" selects the defaults of src/config.ts for the database health checks.
  server = await startTestServer({
    MEMORIC_DB_HEALTH_INTERVAL_MS: "",
    MEMORIC_DB_HEALTH_TIMEOUT_MS: "",
    LOG_LEVEL: "info",
  });
});

afterAll(async () => {
  await ensureClusterUp();
  await server?.close();
});

it("a fast stop and a start of the cluster under load: nothing lost, readiness follows", {
  timeout: 180_000,
}, async () => {
  const processErrors = recordProcessErrors();
  const readiness = new ReadinessObserver(server);
  const load = await startWriteLoad(server, 6);
  let report = "";
  try {
    await sleep(1500);
    const okBefore = load.codes.get("OK") ?? 0;
    const stopMs = ctl("stop");
    const down = await readiness.waitFor("NOT_SERVING", performance.now(), BOUND_MS + 5000);
    await sleep(3000);
    const startMs = ctl("start");
    const up = await readiness.waitFor("SERVING", performance.now(), BOUND_MS + 10_000);
    report =
      `stop took ${stopMs | 0} ms, then NOT_SERVING after grpc ${down.grpcMs | 0} / http ${down.httpMs | 0} ms; ` +
      `start took ${startMs | 0} ms, then SERVING after grpc ${up.grpcMs | 0} / http ${up.httpMs | 0} ms`;
    const deadline = performance.now() + 10_000;
    while ((load.codes.get("OK") ?? 0) <= okBefore + 2 * load.users.length && performance.now() < deadline)
      await sleep(100);
    await sleep(1000);
    expect(Math.max(down.grpcMs, down.httpMs, up.grpcMs, up.httpMs), report).toBeLessThanOrEqual(BOUND_MS);
  } finally {
    await ensureClusterUp();
    await load.stop();
    readiness.close();
    processErrors.stop();
  }
  console.log(
    JSON.stringify({ report, codes: Object.fromEntries(load.codes), maxCallMs: Math.round(load.maxCallMs) }, null, 1),
  );

  expect(processErrors.errors).toEqual([]);
  expect(load.bad).toEqual([]);
  expect(load.codes.get("Unavailable") ?? 0).toBeGreaterThan(0); // the outage was real
  expect(server.logs.filter((l) => l.includes("unhandled error in handler"))).toEqual([]);
  const acked = load.acked.flat().length;
  expect(acked).toBeGreaterThan(20);
  const { missing, audit } = await checkAftermath(server, load);
  expect(missing).toEqual([]);
  expect(audit.ok).toBe(true);
});

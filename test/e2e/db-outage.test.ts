/**
 * Spec: a database outage is a boring event. Under continuous write load from several users (gRPC
 * and Connect), the database disappears 10 times for 1–5 s (refused, reset, blackholed by a proxy
 * between the server and PostgreSQL). Throughout:
 * - the process never throws (no uncaught exception, no unhandled rejection);
 * - readiness (gRPC "readiness" and /readyz) is NOT_SERVING within 2 s of each outage's start and
 *   SERVING within 2 s of its end, without a restart;
 * - calls end OK, Unavailable or DeadlineExceeded (never Internal/Unknown), within their deadline;
 * - afterwards every acknowledged write is readable and the audit chain verifies.
 * The server runs with the production defaults for its database health checks.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, testMode, type TestDatabase } from "../support/database.js";
import { checkAftermath, ReadinessObserver, recordProcessErrors, sleep, startWriteLoad } from "../support/outage.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";

type Fault = "refuse" | "reset" | "blackhole";
// A blackhole is noticed only by a probe timing out, so it lasts long enough to be seen.
const OUTAGES: [Fault, number][] = [
  ["refuse", 1000],
  ["reset", 2000],
  ["blackhole", 3000],
  ["reset", 1000],
  ["refuse", 5000],
  ["blackhole", 2500],
  ["reset", 1500],
  ["refuse", 2000],
  ["blackhole", 4000],
  ["reset", 1000],
];
const BOUND_MS = 2000;

let db: TestDatabase;
let proxy: TcpProxy;
let server: TestServer;

// Embedded mode has no network hop to break (PGlite runs in the process): PostgreSQL only.
describe.skipIf(testMode === "embedded")("database outages under write load (PostgreSQL only)", () => {
  beforeAll(async () => {
    db = await createTestDatabase();
    const target = new URL(db.databaseUrl!);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    const viaProxy = new URL(target);
    viaProxy.hostname = "127.0.0.1";
    viaProxy.port = String(proxy.port);
    server = await startTestServer(
      // "" selects the defaults of src/config.ts (the test harness otherwise probes faster).
      {
        DATABASE_URL: viaProxy.toString(),
        MEMORIC_DB_HEALTH_INTERVAL_MS: "",
        MEMORIC_DB_HEALTH_TIMEOUT_MS: "",
        // Each user writes flat out through the outages, then reads every acknowledged write back
        // within the same minute: over the default 600 calls, the reads met the rate limit.
        MEMORIC_RATE_LIMIT_RPC: "1000000",
        LOG_LEVEL: "info",
      },
      db,
    );
  });

  afterAll(async () => {
    await proxy?.restore();
    await server?.close();
    await proxy?.close();
    await db?.drop();
  });

  it("10 outages: the process lives, readiness follows within 2 s, no acknowledged write is lost", {
    timeout: 150_000,
  }, async () => {
    const processErrors = recordProcessErrors();
    const readiness = new ReadinessObserver(server);
    const load = await startWriteLoad(server, 4);
    const timings: string[] = [];
    const late: string[] = [];
    try {
      await sleep(1000);
      for (const [fault, ms] of OUTAGES) {
        const okBefore = load.codes.get("OK") ?? 0;
        const start = performance.now();
        if (fault === "refuse") await proxy.refuse({ closeExisting: true });
        else if (fault === "reset") proxy.reset();
        else proxy.blackhole();
        const down = await readiness.waitFor("NOT_SERVING", start, BOUND_MS + 3000);
        await sleep(Math.max(0, start + ms - performance.now()));
        const end = performance.now();
        await proxy.restore();
        const up = await readiness.waitFor("SERVING", end, BOUND_MS + 5000);
        const t =
          `${fault} ${ms} ms: NOT_SERVING after grpc ${down.grpcMs | 0} / http ${down.httpMs | 0} ms, ` +
          `SERVING after grpc ${up.grpcMs | 0} / http ${up.httpMs | 0} ms`;
        timings.push(t);
        if (Math.max(down.grpcMs, down.httpMs, up.grpcMs, up.httpMs) > BOUND_MS) late.push(t);
        // Writes go through again before the next outage.
        const deadline = performance.now() + 5000;
        while ((load.codes.get("OK") ?? 0) <= okBefore + load.users.length && performance.now() < deadline)
          await sleep(50);
        await sleep(500);
      }
    } finally {
      await load.stop();
      readiness.close();
      processErrors.stop();
    }
    const summary = { timings, codes: Object.fromEntries(load.codes), maxCallMs: Math.round(load.maxCallMs) };
    console.log(JSON.stringify(summary, null, 1));

    expect(processErrors.errors).toEqual([]);
    expect(late, JSON.stringify(summary)).toEqual([]);
    expect(load.bad).toEqual([]);
    expect(load.codes.get("Unavailable") ?? 0).toBeGreaterThan(0); // the outages were real
    expect(server.logs.filter((l) => l.includes("unhandled error in handler"))).toEqual([]);

    const acked = load.acked.flat().length;
    expect(acked).toBeGreaterThan(50);
    const { missing, audit } = await checkAftermath(server, load);
    expect(missing).toEqual([]);
    expect(audit.ok).toBe(true);
    expect(audit.checked).toBeGreaterThan(BigInt(acked));
  });
});

/**
 * Spec: one tenant cannot stall the others (PostgreSQL; the embedded pool has one connection and
 * PGlite one session, so no row can be locked from outside).
 * - Tenant A's 60 concurrent UpdateMemory calls wait on a row locked from a separate connection;
 *   A holds at most its per-principal share of the pool, its excess calls get ResourceExhausted
 *   with a retry-after (never Internal), and tenant B's calls are answered within 100 ms p99 (or,
 *   on a test machine too loaded for that even without A, within twice B's own p99 without A).
 * - When the admitted transactions do fill the pool, a waiting call gets Unavailable with a
 *   retry-after after the wait bound; /health/detailed and the metrics report the saturation while
 *   readiness stays SERVING (the health ping runs on the connection kept out of admission).
 * - A call without a deadline is stopped by the default statement timeout (DeadlineExceeded), and a
 *   longer deadline does not lift it.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService } from "../../gen/memoric/v1/auth_pb.js";
import { MemoryService } from "../../gen/memoric/v1/memory_pb.js";
import { testMode } from "../support/database.js";
import { registerAndLogin, type TestUser } from "../support/identity.js";
import { startTestServer, type TestServer } from "../support/server.js";

const NO_LIMITS = { MEMORIC_RATE_LIMIT_RPC: "1000000", MEMORIC_RATE_LIMIT_ANONYMOUS_RPC: "1000000" };

/** Locks one memory row from a connection of its own until release(). */
async function lockRow(databaseUrl: string, memoryId: string): Promise<{ release(): Promise<void> }> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const done = sql.begin(async (tx) => {
    await tx`select id from memories where id = ${memoryId} for update`;
    locked();
    await released;
  });
  await Promise.race([isLocked, done]);
  return {
    async release() {
      release();
      await done;
      await sql.end();
    },
  };
}

async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const p99 = (sorted: number[]) => sorted[Math.ceil(sorted.length * 0.99) - 1]!;

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );

async function detailedPool(server: TestServer): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(`${server.adminUrl}/health/detailed`);
  const body = (await res.json()) as { checks: { database: Record<string, any> } };
  return { status: res.status, body: body.checks.database };
}

async function metric(server: TestServer, line: RegExp): Promise<number> {
  const text = await (await fetch(`${server.adminUrl}/metrics`)).text();
  const m = text.split("\n").find((l) => line.test(l));
  return m === undefined ? NaN : Number(m.split(" ").pop());
}

describe.skipIf(testMode === "embedded")("noisy neighbour", () => {
  let server: TestServer;
  let a: TestUser;
  let b: TestUser;

  beforeAll(async () => {
    // Stuck calls stay stuck for the whole test: the statement timeout is not what frees B here.
    server = await startTestServer({
      ...NO_LIMITS,
      MEMORIC_DB_POOL_MAX: "10",
      MEMORIC_DB_STATEMENT_TIMEOUT_MS: "120000",
    });
    [a, b] = await Promise.all([registerAndLogin(server), registerAndLogin(server)]);
  });
  afterAll(async () => {
    await server?.close();
  });

  it("answers tenant B within 100 ms p99 while tenant A's 60 calls wait on a locked row", async () => {
    const memA = a.client(MemoryService);
    const memB = b.client(MemoryService);
    const authB = b.client(AuthService);
    const { memory } = await memA.createMemory({ content: "contended row" });
    for (let i = 0; i < 5; i++) await memB.createMemory({ content: `b's note ${i}`, threadId: "b" });
    const admission = server.db.admission!;
    expect(admission.stats()).toMatchObject({ capacity: 9, perKeyLimit: 4 });

    const calls = [
      () => authB.getCurrentUser({}),
      () => memB.listMemories({ filter: { threadId: "b" }, pageSize: 10 }),
      () => memB.createMemory({ content: "b writes" }),
    ];
    const measure = async () => {
      const latencies: number[] = [];
      for (let i = 0; i < 150; i++) {
        const started = performance.now();
        await calls[i % 3]!();
        latencies.push(performance.now() - started);
      }
      return latencies.sort((x, y) => x - y);
    };
    for (let i = 0; i < 30; i++) await calls[i % 3]!(); // warm-up: connections, JIT, caches
    const baseline = await measure();

    const lock = await lockRow(server.config.databaseUrl!, memory!.id);
    let stop = false;
    const codes = new Map<Code | "OK", number>();
    const retryAfters = new Set<string | null>();
    // A keeps 60 calls going until the test ends, retrying each refused call after the hinted delay
    // plus jitter (as a client honouring retry-after does), so its queue stays full.
    const workers = Array.from({ length: 60 }, async (_, i) => {
      while (!stop) {
        const update = { id: memory!.id, content: `a ${i}`, updateMask: { paths: ["content"] } };
        const err = await errorOf(memA.updateMemory(update));
        const code = err ? err.code : "OK";
        codes.set(code, (codes.get(code) ?? 0) + 1);
        if (!err) continue;
        const hint = err.metadata.get("retry-after");
        retryAfters.add(hint);
        await new Promise((r) => setTimeout(r, Number(hint ?? 1) * 1000 * (1 + Math.random())));
      }
    });
    try {
      const heldByA = () => admission.held(`p:${a.userId}`);
      await until(() => heldByA() === 4 && admission.stats().waiting >= 50, "A to fill its share and queue");
      await new Promise((r) => setTimeout(r, 200));
      expect(heldByA()).toBe(4);
      await until(() => (codes.get(Code.ResourceExhausted) ?? 0) > 0, "A's excess to be refused", 10_000);

      // A window of 150 calls spans more than A's 2 s wait bound, so anything A's pressure causes (its
      // refusals come back every cycle) shows in every window; a stall of the shared test machine
      // does not, so the best of up to three windows counts. The bound is the acceptance's 100 ms,
      // unless this machine is so loaded that B alone, before A started, was slower than half that:
      // then twice B's own p99 (a queue behind A's work would still cost B whole seconds).
      const bound = Math.max(100, 2 * p99(baseline));
      const windows: number[][] = [];
      for (let w = 0; w < 3 && !windows.some((l) => p99(l) <= bound); w++) windows.push(await measure());
      const best = windows.reduce((x, y) => (p99(x) <= p99(y) ? x : y));
      const slowest = windows
        .map((l) =>
          l
            .slice(-5)
            .map((x) => x.toFixed(1))
            .join(" "),
        )
        .join(" | ");
      const why = `B's p99 alone ${p99(baseline).toFixed(1)} ms; under A, slowest 5 per window: ${slowest}`;
      expect(p99(best), why).toBeLessThanOrEqual(bound);

      // A never held more than its share; the pool is not saturated (B was served), readiness never flipped.
      expect(heldByA()).toBe(4);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      const pool = await detailedPool(server);
      expect(pool.body.pool).toMatchObject({ state: "ok", perKeyLimit: 4, capacity: 9 });
      expect(pool.body.pool.rejected.principal_limit).toBeGreaterThan(0);
      expect(await metric(server, /^memoric_db_pool_rejected_total\{reason="principal_limit"\}/)).toBeGreaterThan(0);
      expect(await metric(server, /^memoric_db_pool_in_use /)).toBeGreaterThanOrEqual(4);
    } finally {
      stop = true;
      await lock.release();
      await Promise.all(workers);
    }
    // A's calls: the admitted ones completed once the lock went; the excess was told to come back.
    expect([...codes.keys()].sort()).toEqual(["OK", Code.ResourceExhausted].sort());
    expect(codes.get("OK")).toBeGreaterThanOrEqual(4);
    expect([...retryAfters].filter((r) => r !== null && /^[1-9]\d*$/.test(r))).toEqual([...retryAfters]);
  }, 60_000);
});

describe.skipIf(testMode === "embedded")("pool saturation and the default statement timeout", () => {
  let server: TestServer;
  let users: TestUser[];

  beforeAll(async () => {
    server = await startTestServer({
      ...NO_LIMITS,
      MEMORIC_DB_POOL_MAX: "3", // 2 transactions + 1 connection for single statements and the ping
      MEMORIC_DB_MAX_CONCURRENT_PER_PRINCIPAL: "1",
      MEMORIC_DB_ACQUIRE_TIMEOUT_MS: "300",
      MEMORIC_DB_STATEMENT_TIMEOUT_MS: "2500",
    });
    users = await Promise.all([registerAndLogin(server), registerAndLogin(server), registerAndLogin(server)]);
  });
  afterAll(async () => {
    await server?.close();
  });

  it("refuses a waiting call Unavailable when stuck work fills the pool, reports saturation, stays ready; " +
    "the stuck calls end DeadlineExceeded", async () => {
    const [u1, u2, u3] = users as [TestUser, TestUser, TestUser];
    const m1 = (await u1.client(MemoryService).createMemory({ content: "one" })).memory!;
    const m2 = (await u2.client(MemoryService).createMemory({ content: "two" })).memory!;
    await u3.client(AuthService).getCurrentUser({}); // its credential is cached: its next call needs one transaction
    const admission = server.db.admission!;
    const locks = [await lockRow(server.config.databaseUrl!, m1.id), await lockRow(server.config.databaseUrl!, m2.id)];
    try {
      const started = Date.now();
      // No deadline, and a deadline longer than the default: both are cut by the default statement timeout.
      const stuck = [
        errorOf(u1.client(MemoryService).updateMemory({ id: m1.id, content: "x", updateMask: { paths: ["content"] } })),
        errorOf(
          u2
            .client(MemoryService)
            .updateMemory({ id: m2.id, content: "y", updateMask: { paths: ["content"] } }, { timeoutMs: 30_000 }),
        ),
      ];
      await until(() => admission.stats().inUse === 2, "both stuck calls to be admitted");

      const refused = await errorOf(u3.client(AuthService).getCurrentUser({}));
      expect(refused?.code).toBe(Code.Unavailable);
      expect(refused?.metadata.get("retry-after")).toBe("1");
      expect(refused?.rawMessage).toMatch(/database busy/);

      const pool = await detailedPool(server);
      expect(pool.status).toBe(200); // a warning, not a failure
      expect(pool.body.status).toBe("warn");
      expect(pool.body.pool).toMatchObject({ state: "saturated", inUse: 2, capacity: 2, max: 3 });
      expect(pool.body.pool.rejected.pool_timeout).toBeGreaterThanOrEqual(1);
      expect(typeof pool.body.pool.saturatedSince).toBe("string");
      expect(await metric(server, /^memoric_db_pool_saturated /)).toBe(1);
      const timeouts = await metric(server, /^memoric_db_pool_rejected_total\{reason="pool_timeout"\}/);
      expect(timeouts).toBeGreaterThanOrEqual(1);
      expect(await metric(server, /^memoric_db_pool_wait_seconds_count /)).toBeGreaterThan(0);
      // Readiness tells the truth about the database, which answers: the ping is not behind the tenants.
      await new Promise((r) => setTimeout(r, 600)); // a few health intervals (200 ms in tests)
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      expect(server.dbMonitor.last.ok).toBe(true);

      const [e1, e2] = await Promise.all(stuck);
      const elapsed = Date.now() - started;
      for (const e of [e1, e2]) {
        expect(e?.code).toBe(Code.DeadlineExceeded);
        expect(e?.rawMessage).toMatch(/2500 ms limit/);
      }
      expect(elapsed).toBeGreaterThanOrEqual(2400);
      expect(elapsed).toBeLessThan(10_000);
    } finally {
      for (const l of locks) await l.release();
    }
    // Once the stuck work is gone, everyone is served again.
    await u3.client(AuthService).getCurrentUser({});
    expect(admission.stats()).toMatchObject({ inUse: 0, waiting: 0 });
  }, 30_000);
});

describe("a single client's burst", () => {
  let server: TestServer;
  let u: TestUser;

  beforeAll(async () => {
    server = await startTestServer(NO_LIMITS);
    u = await registerAndLogin(server);
  });
  afterAll(async () => {
    await server?.close();
  });

  it("is queued, not refused: 30 concurrent calls of one account all succeed (embedded: one connection)", async () => {
    const mem = u.client(MemoryService);
    await mem.createMemory({ content: "burst" });
    const results = await Promise.all(Array.from({ length: 30 }, () => errorOf(mem.listMemories({ pageSize: 5 }))));
    expect(results.filter((e) => e !== undefined).map((e) => e!.code)).toEqual([]);
    const { perKeyLimit, capacity } = server.db.admission!.stats();
    expect(perKeyLimit).toBe(testMode === "embedded" ? 1 : 4);
    expect(capacity).toBe(testMode === "embedded" ? 1 : 9);
  });
});

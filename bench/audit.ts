/**
 * The throughput cost of auditing, measured in one run on one database:
 * - baseline: a minimal mutation (one INSERT into a plain table in an RLS transaction as memoric_app);
 * - audited: the same transaction plus its audit row (record() inside it, fail-closed), with 16
 *   chain shards and with 1 (a single global chain: every writer queues on one head row);
 * - append-only: recordStandalone() alone, 16 vs 1 shard (raw audit rows/s).
 * 32 concurrent writers, 64 distinct principals. Ratios > 1 mean faster than the baseline.
 * And end to end (benchAuditRpc): the real server with MEMORIC_AUDIT=on vs off, same run, over gRPC:
 * CreateMemory (a mutation, its audit row in its transaction) and GetCurrentUser (a read, its row
 * written after the call).
 * Database: a fresh one on DATABASE_URL's server when set, else embedded PGlite (one connection,
 * so concurrency there only measures queueing).
 *
 * Run alone: `npx tsx bench/audit.ts [ops]` (prints both).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import postgres from "postgres";
import type { CallInfo } from "../src/interceptors/call-context.js";
import { createLogger } from "../src/logger.js";
import { createAuditWriter, type AuditWriter } from "../src/store/audit-log.js";
import { verifyAuditLog } from "../src/store/audit-verify.js";
import { openDatabase, type Database } from "../src/store/database.js";
import { migrate } from "../src/store/migrate.js";
import { inTx, SYSTEM, userContext } from "../src/store/tx.js";
import { AuthService } from "../gen/memoric/v1/auth_pb.js";
import { MemoryService } from "../gen/memoric/v1/memory_pb.js";
import { registerAndLogin } from "../test/support/identity.js";
import { startTestServer } from "../test/support/server.js";

export interface AuditBenchOptions {
  ops?: number;
  concurrency?: number;
  rounds?: number;
}

export interface AuditBenchResult {
  database: "postgres" | "embedded";
  ops: number;
  concurrency: number;
  /** Operations per second (best of `rounds`). */
  baselineOpsPerSec: number;
  audited16OpsPerSec: number;
  audited1OpsPerSec: number;
  appendOnly16PerSec: number;
  appendOnly1PerSec: number;
  /** audited / baseline throughput (1 = free; target ≥ 0.85 for real mutations). */
  ratioAudited16: number;
  ratioAudited1: number;
  /** 16 shards vs 1 shard, for audited mutations and for bare appends. */
  shardSpeedupAudited: number;
  shardSpeedupAppend: number;
  /** Rows re-hashed by the verifier afterwards (all chains valid). */
  verifiedRows: number;
}

const SIGNING_KEY = crypto.randomBytes(32);
const principals = Array.from({ length: 64 }, () => crypto.randomUUID());
const callOf = (i: number): CallInfo => ({
  principal: {
    type: "user",
    userId: principals[i % principals.length]!,
    username: "bench",
    roles: ["USER"],
    permissions: new Set(),
    sessionId: "s",
    credentialId: "c",
  },
  requestId: `bench-${i}`,
  clientAddress: "127.0.0.1",
  userAgent: "bench",
  service: "memoric.v1.MemoryService",
  method: "CreateMemory",
});

async function openBenchDatabase(): Promise<{ db: Database; drop: () => Promise<void> }> {
  const logger = createLogger("silent");
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "memoric-bench-"));
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const db = await openDatabase({ databaseUrl: undefined, dataDir, poolMax: 1, logger });
    return {
      db,
      drop: async () => {
        await db.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const name = `memoric_bench_${crypto.randomBytes(5).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = await openDatabase({ databaseUrl: url.toString(), dataDir, poolMax: 34, logger });
  return {
    db,
    drop: async () => {
      await db.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs `ops` calls of fn with `concurrency` workers; returns ops/s. */
async function throughput(ops: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ops) await fn(next++);
    }),
  );
  return ops / ((performance.now() - started) / 1000);
}

export async function benchAudit(options: AuditBenchOptions = {}): Promise<AuditBenchResult> {
  const ops = options.ops ?? 2000;
  const concurrency = options.concurrency ?? 32;
  const rounds = options.rounds ?? 2;
  const { db, drop } = await openBenchDatabase();
  try {
    const sql = db.sql;
    await migrate(sql, createLogger("silent"));
    await sql`create table bench_plain (id uuid primary key, user_id uuid not null, payload text not null,
              created_at timestamptz not null default now())`;
    await sql`grant select, insert on bench_plain to memoric_app`;
    const writers: Record<"w16" | "w1", AuditWriter> = {
      w16: createAuditWriter({ sql, config: { enabled: true, shards: 16 } }),
      w1: createAuditWriter({ sql, config: { enabled: true, shards: 1 } }),
    };
    const mutation = (i: number, audit?: AuditWriter) => {
      const call = callOf(i);
      return inTx(sql, userContext(call.principal!.userId), async (tx) => {
        const id = crypto.randomUUID();
        const userId = call.principal!.userId;
        await tx`insert into bench_plain (id, user_id, payload) values (${id}, ${userId}, ${"x".repeat(200)})`;
        // Last statement of the transaction, as the writer's contract asks: the head lock is held to commit.
        if (audit)
          await audit.record(tx, call, {
            type: "memory.created",
            success: true,
            resourceType: "memory",
            resourceId: id,
          });
      });
    };
    const runs = {
      baseline: (i: number) => mutation(i),
      audited16: (i: number) => mutation(i, writers.w16),
      audited1: (i: number) => mutation(i, writers.w1),
      append16: (i: number) => writers.w16.recordStandalone(callOf(i), { type: "memory.retrieved", success: true }),
      append1: (i: number) => writers.w1.recordStandalone(callOf(i), { type: "memory.retrieved", success: true }),
    };
    const best: Record<keyof typeof runs, number> = { baseline: 0, audited16: 0, audited1: 0, append16: 0, append1: 0 };
    await throughput(Math.min(200, ops), concurrency, runs.audited16); // warm-up: pool, plans, JIT
    // Interleaved rounds, best of each: background noise hits every variant alike.
    for (let r = 0; r < rounds; r++) {
      for (const k of Object.keys(runs) as (keyof typeof runs)[])
        best[k] = Math.max(best[k], await throughput(ops, concurrency, runs[k]));
    }
    const verified = await verifyAuditLog(sql, SYSTEM, SIGNING_KEY);
    if (!verified.ok) throw new Error(`audit chains invalid after the benchmark: ${JSON.stringify(verified.firstBad)}`);
    const r2 = (n: number) => Math.round(n * 100) / 100;
    return {
      database: db.mode,
      ops,
      concurrency,
      baselineOpsPerSec: Math.round(best.baseline),
      audited16OpsPerSec: Math.round(best.audited16),
      audited1OpsPerSec: Math.round(best.audited1),
      appendOnly16PerSec: Math.round(best.append16),
      appendOnly1PerSec: Math.round(best.append1),
      ratioAudited16: r2(best.audited16 / best.baseline),
      ratioAudited1: r2(best.audited1 / best.baseline),
      shardSpeedupAudited: r2(best.audited16 / best.audited1),
      shardSpeedupAppend: r2(best.append16 / best.append1),
      verifiedRows: verified.checked,
    };
  } finally {
    await drop();
  }
}

interface AuditRpcFigures {
  /** Distinct callers: all of one principal's rows go to one chain shard, so 1 caller = 1 head lock. */
  principals: number;
  createMemoryOffPerSec: number;
  createMemoryOnPerSec: number;
  getCurrentUserOffPerSec: number;
  getCurrentUserOnPerSec: number;
  /** on / off throughput (1 = free; the target is ≥ 0.85). */
  ratioCreateMemory: number;
  ratioGetCurrentUser: number;
}

export interface AuditRpcBenchResult {
  ops: number;
  concurrency: number;
  runs: AuditRpcFigures[];
}

/**
 * The cost as a client sees it: real servers (audit off / on, fresh databases) called over gRPC by
 * `concurrency` workers spread over 1 and over 16 principals; best of `rounds`.
 */
export async function benchAuditRpc(
  options: AuditBenchOptions & { principals?: number[] } = {},
): Promise<AuditRpcBenchResult> {
  const ops = options.ops ?? 1000;
  const concurrency = options.concurrency ?? 32;
  const rounds = options.rounds ?? 2;
  const r2 = (n: number) => Math.round(n * 100) / 100;
  const runs: AuditRpcFigures[] = [];
  for (const principals of options.principals ?? [1, 16]) {
    const best = { createoff: 0, createon: 0, readoff: 0, readon: 0 };
    for (let r = 0; r < rounds; r++) {
      for (const mode of ["off", "on"] as const) {
        const server = await startTestServer({
          MEMORIC_AUDIT: mode,
          LOG_LEVEL: "warn",
          MEMORIC_DB_POOL_MAX: "34",
          MEMORIC_RATE_LIMIT_RPC: "1000000",
          MEMORIC_RATE_LIMIT_ANONYMOUS_RPC: "1000000",
        });
        try {
          const users = [];
          for (let u = 0; u < principals; u++) users.push(await registerAndLogin(server));
          const memories = users.map((u) => u.client(MemoryService));
          const auth = users.map((u) => u.client(AuthService));
          await throughput(100, concurrency, (i) =>
            memories[i % principals]!.createMemory({ content: `warm-up ${i}` }),
          );
          best[`create${mode}`] = Math.max(
            best[`create${mode}`],
            await throughput(ops, concurrency, (i) =>
              memories[i % principals]!.createMemory({
                content: `The user mentioned item ${i}: allergic to peanuts, prefers trains`,
                threadId: `t${i % 8}`,
              }),
            ),
          );
          best[`read${mode}`] = Math.max(
            best[`read${mode}`],
            await throughput(ops, concurrency, (i) => auth[i % principals]!.getCurrentUser({})),
          );
        } finally {
          await server.close();
        }
      }
    }
    runs.push({
      principals,
      createMemoryOffPerSec: Math.round(best.createoff),
      createMemoryOnPerSec: Math.round(best.createon),
      getCurrentUserOffPerSec: Math.round(best.readoff),
      getCurrentUserOnPerSec: Math.round(best.readon),
      ratioCreateMemory: r2(best.createon / best.createoff),
      ratioGetCurrentUser: r2(best.readon / best.readoff),
    });
  }
  return { ops, concurrency, runs };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const ops = Number(process.argv[2]) || undefined;
  (async () => ({
    store: await benchAudit({ ops }),
    rpc: await benchAuditRpc({ ops: ops && Math.ceil(ops / 2) }),
  }))().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}

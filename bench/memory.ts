/**
 * Memory benchmarks:
 * - CreateMemory over gRPC at 64 concurrent calls (encrypted + indexed + audited), next to a raw
 *   postgres.js single-row INSERT baseline at the same concurrency and pool size, in the same run;
 *   the same load with MEMORIC_ENCRYPTION=off gives the cost of encryption; the store call alone
 *   (no transport, authentication or rate limiting) shows what the memory path itself costs. All
 *   variants run in alternating rounds so the machine's background load hits them equally.
 * - SearchMemories p50/p95/p99 for one user holding 10k and then 100k memories, over gRPC (auth,
 *   rate limit and audit included) and at the store (SQL + decrypt only). The corpus is seeded by
 *   the store's bulk path (same encryption and blind index as CreateMemory), not through RPCs.
 *
 * Corpus model: bench/corpus.ts.
 */
import { createClient } from "@connectrpc/connect";
import crypto from "node:crypto";
import postgres from "postgres";
import { MemoryService } from "../gen/memoric/v1/memory_pb.js";
import { MasterKeyring } from "../src/security/crypto.js";
import { createAuditWriter } from "../src/store/audit-log.js";
import { insertMemories, prepareMemories, type MemoryStoreDeps, type NewMemory } from "../src/store/memories.js";
import { searchMemories } from "../src/store/memory-search.js";
import { uuidv7 } from "../src/store/memory-rows.js";
import { insertPrepared, prepareMemory } from "../src/store/memory-write.js";
import type { Sql } from "../src/store/database.js";
import { inTx, userContext } from "../src/store/tx.js";
import { selfOwner } from "../src/store/owner.js";
import { OwnerKeys } from "../src/store/owner-keys.js";
import { createLogger } from "../src/logger.js";
import { registerAndLogin } from "../test/support/identity.js";
import { startTestServer, type TestServer } from "../test/support/server.js";
import { round, summarize, type Figures } from "./support.js";
import { corpus } from "./corpus.js";

export interface MemoryBenchOptions {
  concurrency: number;
  /** Accounts the CreateMemory load is spread over (a second pass always uses a single account). */
  users: number;
  /** The create variants run in this many alternating rounds. */
  rounds: number;
  createCalls: number;
  searchSizes: number[];
  searchQueries: number;
}

const DEFAULTS: MemoryBenchOptions = {
  concurrency: 64,
  users: 16,
  rounds: 4,
  createCalls: 2000,
  searchSizes: [10_000, 100_000],
  searchQueries: 300,
};

/** Runs `total` calls of fn with `concurrency` in flight; returns per-call latencies and wall time. */
async function load(
  total: number,
  concurrency: number,
  fn: (i: number) => Promise<unknown>,
): Promise<{ samples: number[]; seconds: number }> {
  const samples: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t = performance.now();
        await fn(i);
        samples.push(performance.now() - t);
      }
    }),
  );
  return { samples, seconds: (performance.now() - started) / 1000 };
}

const BENCH_ENV = {
  LOG_LEVEL: "warn",
  MEMORIC_RATE_LIMIT_RPC: "1000000",
  MEMORIC_RATE_LIMIT_ANONYMOUS_RPC: "100000",
  MEMORIC_POLICY_INTERVAL_SECONDS: "0",
};

type Runner = (calls: number) => Promise<{ samples: number[]; seconds: number }>;

/** CreateMemory over gRPC, spread round-robin over `users` accounts (1 = every call from one principal). */
async function rpcCreate(server: TestServer, o: MemoryBenchOptions, users: number): Promise<Runner> {
  const accounts = await Promise.all(Array.from({ length: users }, () => registerAndLogin(server)));
  const clients = accounts.map((a) => createClient(MemoryService, a.transport));
  const c = corpus(11);
  let n = 0;
  return (calls) =>
    load(calls, o.concurrency, () => {
      const i = n++;
      return clients[i % users]!.createMemory({ content: c.text(), threadId: `t${i % 50}` });
    });
}

/** CreateMemory's store path directly (no transport, no authn/rate limit; still encrypted, indexed, audited). */
async function storeCreate(server: TestServer, o: MemoryBenchOptions, users: number): Promise<Runner> {
  const keyring = await MasterKeyring.fromBase64(server.config.secrets.keysetBase64!);
  const deps: MemoryStoreDeps = { keys: new OwnerKeys(keyring), config: server.config, logger: createLogger("warn") };
  const audit = createAuditWriter({ sql: server.db.sql });
  const sql = server.db.sql;
  // As services/memory/create-memory.ts does through withAuditedTx.
  const createMemories = async (userId: string, actor: ReturnType<typeof actorOf>, items: NewMemory[]) => {
    const prepared = await prepareMemories(deps, await deps.keys.ensure(sql, userId), selfOwner(userId), items);
    return inTx(sql, userContext(userId), async (tx) => {
      const r = await insertMemories(deps, tx, selfOwner(userId), prepared);
      await audit.record(tx, actor, {
        type: "memory.created",
        success: true,
        resourceType: "memory",
        details: { count: items.length },
      });
      return r;
    });
  };
  const actorOf = () => ({
    principal: undefined,
    requestId: crypto.randomUUID(),
    clientAddress: "127.0.0.1",
    userAgent: "bench",
    service: "memoric.v1.MemoryService",
    method: "CreateMemory",
  });
  const ids = await Promise.all(Array.from({ length: users }, async () => (await registerAndLogin(server)).userId));
  // A fresh request id per call, as the server gives: the audit log shards by it when there is no principal.
  const actor = actorOf;
  const c = corpus(12);
  let n = 0;
  return (calls) =>
    load(calls, o.concurrency, () => {
      const i = n++;
      return createMemories(ids[i % users]!, actor(), [
        {
          content: c.text(),
          threadId: `t${i % 50}`,
          agentId: "",
          namespace: "",
          metadata: {},
          importance: 0,
          topic: "",
          category: "",
          role: 0,
          expiresAt: null,
          idempotencyKey: "",
        },
      ]);
    });
}

/** Raw postgres.js single-row INSERT with the server's own pool size (same number of connections). */
async function rawInsert(
  server: TestServer,
  o: MemoryBenchOptions,
): Promise<{ run: Runner; close: () => Promise<void> }> {
  const sql = server.config.databaseUrl
    ? postgres(server.config.databaseUrl, { max: server.config.db.poolMax, onnotice: () => {} })
    : server.db.sql;
  await sql`create table if not exists bench_raw (id uuid primary key, user_id uuid not null, content text not null,
            created_at timestamptz not null default now())`;
  const userId = crypto.randomUUID();
  const c = corpus(13);
  return {
    run: (calls) =>
      load(
        calls,
        o.concurrency,
        () => sql`insert into bench_raw (id, user_id, content) values (${crypto.randomUUID()}, ${userId}, ${c.text()})`,
      ),
    close: async () => {
      await sql`drop table bench_raw`;
      if (sql !== server.db.sql) await sql.end();
    },
  };
}

/**
 * Runs every variant in alternating rounds (this machine is shared and noisy: interleaving makes
 * all variants see the same background load, so their ratios mean something).
 */
async function interleaved(runners: Record<string, Runner>, total: number, rounds: number) {
  const acc = new Map<string, { samples: number[]; seconds: number }>();
  for (const run of Object.values(runners)) await run(100); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const [name, run] of Object.entries(runners)) {
      const res = await run(Math.ceil(total / rounds));
      const a = acc.get(name) ?? { samples: [], seconds: 0 };
      a.samples.push(...res.samples);
      a.seconds += res.seconds;
      acc.set(name, a);
    }
  }
  return new Map([...acc].map(([k, v]) => [k, { ...summarize(v.samples), perSecond: v.samples.length / v.seconds }]));
}

/** The store's bulk path: same sealing and indexing as CreateMemory, 1000 rows per statement. */
async function seed(
  deps: MemoryStoreDeps,
  sql: Sql,
  userId: string,
  count: number,
  text: () => string,
): Promise<number> {
  const started = performance.now();
  const key = await deps.keys.ensure(sql, userId);
  const BATCH = 1000;
  for (let done = 0; done < count; done += BATCH) {
    const n = Math.min(BATCH, count - done);
    const base = Date.now() - (count - done) * 60_000; // spread over time so recency varies
    const items = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        prepareMemory(key, deps.config.memory.encryption, selfOwner(userId), uuidv7(base + i * 60_000), {
          content: text(),
          threadId: `t${(done + i) % 200}`,
          agentId: "",
          namespace: "",
          metadata: {},
          importance: 0,
          topic: "",
          category: "",
          role: 0,
          expiresAt: null,
          idempotencyKey: "",
        }),
      ),
    );
    await inTx(sql, userContext(userId), (tx) => insertPrepared(tx, selfOwner(userId), items));
  }
  await sql`analyze memories`.catch(() => undefined);
  await sql`analyze memory_terms`.catch(() => undefined);
  return (performance.now() - started) / 1000;
}

async function searchLoad(server: TestServer, o: MemoryBenchOptions): Promise<Figures> {
  const out: Figures = {};
  const user = await registerAndLogin(server);
  const client = createClient(MemoryService, user.transport);
  const keyring = await MasterKeyring.fromBase64(server.config.secrets.keysetBase64!);
  const deps: MemoryStoreDeps = { keys: new OwnerKeys(keyring), config: server.config, logger: createLogger("warn") };
  const sql = server.db.sql;
  const c = corpus(17);
  const queries = Array.from({ length: o.searchQueries + 50 }, c.query);
  let have = 0;
  for (const size of o.searchSizes) {
    const seconds = await seed(deps, sql, user.userId, size - have, c.text);
    have = size;
    const k = `${size / 1000}k`;
    out[`seed ${k} memories via bulk path (s)`] = round(seconds, 1);
    for (let i = 0; i < 50; i++) await client.searchMemories({ query: queries[i]! }); // warm-up
    const rpc = (await load(o.searchQueries, 1, (i) => client.searchMemories({ query: queries[50 + i]!, topK: 10 })))
      .samples;
    const storeOnly = (
      await load(o.searchQueries, 1, (i) =>
        inTx(sql, userContext(user.userId), (tx) =>
          searchMemories(deps, tx, selfOwner(user.userId), { query: queries[50 + i]!, filter: {}, topK: 10 }),
        ),
      )
    ).samples;
    const empty = (await load(50, 1, () => client.searchMemories({ query: "", topK: 10 }))).samples;
    const r = summarize(rpc);
    const s = summarize(storeOnly);
    out[`SearchMemories @${k} gRPC p50/p95/p99 (ms)`] = `${round(r.p50)} / ${round(r.p95)} / ${round(r.p99)}`;
    out[`SearchMemories @${k} store p50/p95/p99 (ms)`] = `${round(s.p50)} / ${round(s.p95)} / ${round(s.p99)}`;
    out[`SearchMemories @${k} empty query gRPC p95 (ms)`] = round(summarize(empty).p95);
  }
  return out;
}

export async function benchMemory(options: Partial<MemoryBenchOptions> = {}): Promise<Figures> {
  const o = { ...DEFAULTS, ...options };
  const out: Figures = {};
  const c = o.concurrency;
  const encrypted = await startTestServer(BENCH_ENV);
  const plain = await startTestServer({ ...BENCH_ENV, MEMORIC_ENCRYPTION: "off" });
  let plainOpen = true;
  try {
    const raw = await rawInsert(encrypted, o);
    const runners: Record<string, Runner> = {
      raw: raw.run,
      rpc: await rpcCreate(encrypted, o, o.users),
      rpc1: await rpcCreate(encrypted, o, 1),
      rpcPlain: await rpcCreate(plain, o, o.users),
      store: await storeCreate(encrypted, o, o.users),
      storePlain: await storeCreate(plain, o, o.users),
    };
    const r = await interleaved(runners, o.createCalls, o.rounds);
    await raw.close();
    const f = (k: string) => r.get(k)!;
    const lat = (k: string) => `${round(f(k).p50)} / ${round(f(k).p99)}`;
    out[`raw INSERT @${c} (rows/s)`] = round(f("raw").perSecond, 0);
    out[`raw INSERT @${c} p50/p99 (ms)`] = lat("raw");
    out[`CreateMemory gRPC @${c}, ${o.users} users (calls/s)`] = round(f("rpc").perSecond, 0);
    out[`CreateMemory gRPC @${c}, ${o.users} users p50/p99 (ms)`] = lat("rpc");
    out[`CreateMemory gRPC @${c}, 1 user (calls/s)`] = round(f("rpc1").perSecond, 0);
    out[`CreateMemory gRPC @${c}, 1 user p50/p99 (ms)`] = lat("rpc1");
    out[`CreateMemory gRPC / raw INSERT (target >= 0.5)`] = round(f("rpc").perSecond / f("raw").perSecond);
    out[`CreateMemory store only @${c} (calls/s)`] = round(f("store").perSecond, 0);
    out[`CreateMemory store only / raw INSERT`] = round(f("store").perSecond / f("raw").perSecond);
    out[`CreateMemory gRPC plaintext @${c} (calls/s)`] = round(f("rpcPlain").perSecond, 0);
    out["encryption cost gRPC: 1 - encrypted/plaintext (target <= 0.10)"] = round(
      1 - f("rpc").perSecond / f("rpcPlain").perSecond,
    );
    out["encryption cost store only: 1 - encrypted/plaintext"] = round(
      1 - f("store").perSecond / f("storePlain").perSecond,
    );
    await plain.close();
    plainOpen = false;
    if (o.searchSizes.length) Object.assign(out, await searchLoad(encrypted, o));
  } finally {
    if (plainOpen) await plain.close();
    await encrypted.close();
  }
  return out;
}

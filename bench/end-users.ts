/**
 * End users at scale: one service account holding 100k end users (MEMORIC_BENCH_END_USERS).
 * - ListEndUsers over gRPC (API key, rate limit, audit row included): a full walk at page size 50
 *   (every external id decrypted once: a cold cache), then the first, a middle and the last page
 *   fetched again and again through their page tokens (the ids of those pages now cached), at page
 *   sizes 50 and 500; p50/p95 per page.
 * - GetEndUser by external id (derived id = primary key lookup plus the memory counter), random ids.
 * - Baselines in the same run, same transport and credential: Health/Check and a ListMemories page
 *   of 50 (the account's own memories). Ratios are reported against both (target: < 50 ms a page).
 *
 * Seeding writes the owners rows as the database owner in bulk (1,000 per statement), built exactly
 * as src/services/owners.ts does: id = UUIDv5(account id, HMAC(account index key, "end_user:"+id)),
 * the external id sealed under the account's data key with its owners/external_id AD, and a data
 * keyset of its own per end user wrapped by the master keyring (AD = its id). Each end user also
 * gets one memory_stats counter row (1-20 memories) so the counts come from real index lookups;
 * there are no memory rows behind those counters (ListEndUsers reads only the counters).
 */
import { createClient } from "@connectrpc/connect";
import postgres from "postgres";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { AuthService } from "../gen/memoric/v1/auth_pb.js";
import { EndUserService } from "../gen/memoric/v1/end_users_pb.js";
import { MemoryService } from "../gen/memoric/v1/memory_pb.js";
import { endUserOwnerId } from "../src/domain/end-users.js";
import { endUserHash } from "../src/security/blind-index.js";
import { DataKey, MasterKeyring } from "../src/security/crypto.js";
import { seal } from "../src/store/memory-rows.js";
import { OwnerKeys } from "../src/store/owner-keys.js";
import { admin, bearerTransport } from "../test/support/identity.js";
import { startTestServer, type TestServer } from "../test/support/server.js";
import { round, summarize, type Figures } from "./support.js";

const BENCH_ENV = {
  LOG_LEVEL: "warn",
  MEMORIC_RATE_LIMIT_RPC: "1000000",
  MEMORIC_RATE_LIMIT_ANONYMOUS_RPC: "100000",
  MEMORIC_POLICY_INTERVAL_SECONDS: "0",
};

const BATCH = 1000;

/** Runs `fn` as the database owner (bulk seeding bypasses the app role, never the encryption). */
async function asDbOwner<T>(server: TestServer, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  if (!server.config.databaseUrl) return fn(server.db.sql);
  const sql = postgres(server.config.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
}

/** Seeds `count` end users of `accountId` as the real path would create them; returns seconds. */
async function seedEndUsers(server: TestServer, accountId: string, count: number): Promise<number> {
  const started = performance.now();
  const keyring = await MasterKeyring.fromBase64(server.config.secrets.keysetBase64!);
  const keys = new OwnerKeys(keyring);
  const accountKey = await keys.ensure(server.db.sql, accountId);
  const encrypt = server.config.memory.encryption;
  const t0 = Date.now() - count * 1000; // one second apart, oldest first
  await asDbOwner(server, async (sql) => {
    for (let done = 0; done < count; done += BATCH) {
      const n = Math.min(BATCH, count - done);
      const rows = await Promise.all(
        Array.from({ length: n }, async (_, j) => {
          const i = done + j;
          const externalId = `user-${i}`;
          const id = endUserOwnerId(accountId, endUserHash(accountKey.blindIndexKey(), externalId));
          const ad = { table: "owners", column: "external_id", rowId: id, ownerId: accountId };
          const sealed = await seal(accountKey, encrypt, externalId, ad);
          const [wrapped, masterKeyId] = await keys.wrap(id, await DataKey.generate());
          const at = new Date(t0 + i * 1000);
          return {
            owner: {
              id,
              account_id: accountId,
              external_id_ct: Buffer.from(sealed.ct),
              wrapped_key: Buffer.from(wrapped),
              master_key_id: masterKeyId,
              created_at: at,
              updated_at: at,
            },
            stats: { owner_id: id, shard: 0, account_id: accountId, doc_count: 1 + (i % 20), total_len: 12 },
          };
        }),
      );
      await sql`insert into owners ${sql(rows.map((r) => r.owner))}`;
      await sql`insert into memory_stats ${sql(rows.map((r) => r.stats))}`;
    }
    await sql`analyze owners`;
    await sql`analyze memory_stats`;
  });
  return (performance.now() - started) / 1000;
}

async function timed(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    samples.push(performance.now() - t);
  }
  return samples;
}

const p50p95 = (samples: number[]) => {
  const s = summarize(samples);
  return { text: `${round(s.p50)} / ${round(s.p95)}`, p50: s.p50, p95: s.p95 };
};

export async function benchEndUsers(): Promise<Figures> {
  const count = Number(process.env.MEMORIC_BENCH_END_USERS ?? 100_000);
  if (!Number.isSafeInteger(count) || count < 1000) throw new Error("MEMORIC_BENCH_END_USERS: at least 1000");
  const samples = Number(process.env.MEMORIC_BENCH_END_USER_SAMPLES ?? 200);
  const server = await startTestServer(BENCH_ENV);
  const out: Figures = {};
  try {
    // A backend's identity: a service account and its API key, as an admin creates them.
    const root = await admin(server);
    const created = await root.client(AuthService).createServiceAccount({ username: "bench-backend" });
    const accountId = created.user!.id;
    const transport = bearerTransport(server, created.key);
    const endUsers = createClient(EndUserService, transport);
    const memories = createClient(MemoryService, transport);
    const health = createClient(Health, transport);

    out[`seed ${count / 1000}k end users, bulk SQL (s)`] = round(await seedEndUsers(server, accountId, count), 1);
    for (let b = 0; b < 5; b++) {
      const batch = Array.from({ length: 100 }, (_, i) => ({ content: `note ${b * 100 + i} about the account` }));
      await memories.batchCreateMemories({ memories: batch });
    }

    // Full walk at 50 a page: every page's ids decrypted once (the external-id cache holds 10k).
    const tokens: string[] = [""];
    const walk: number[] = [];
    let seen = 0;
    for (;;) {
      const t = performance.now();
      const page = await endUsers.listEndUsers({ pageSize: 50, pageToken: tokens.at(-1)! });
      walk.push(performance.now() - t);
      seen += page.endUsers.length;
      if (!page.nextPageToken) break;
      tokens.push(page.nextPageToken);
    }
    if (seen !== count) throw new Error(`walked ${seen} end users, expected ${count}`);
    const w = p50p95(walk);
    out[`ListEndUsers full walk, ${walk.length} pages of 50: p50/p95 (ms)`] = w.text;
    out["ListEndUsers full walk: max page (ms)"] = round(summarize(walk).max);

    // Baselines, same transport and credential.
    for (let i = 0; i < 50; i++) await health.check({ service: "" });
    const healthS = p50p95(await timed(samples, () => health.check({ service: "" })));
    for (let i = 0; i < 20; i++) await memories.listMemories({ pageSize: 50 });
    const listMem = p50p95(await timed(samples, () => memories.listMemories({ pageSize: 50 })));
    out["baseline Health/Check p50/p95 (ms)"] = healthS.text;
    out["baseline ListMemories page of 50 p50/p95 (ms)"] = listMem.text;

    const middle = tokens[Math.floor(tokens.length / 2)]!;
    const last = tokens.at(-1)!;
    for (const [name, token] of [
      ["first", ""],
      ["middle", middle],
      ["last", last],
    ] as const) {
      await endUsers.listEndUsers({ pageSize: 50, pageToken: token }); // its ids cached, as a hot page's are
      const s = p50p95(await timed(samples, () => endUsers.listEndUsers({ pageSize: 50, pageToken: token })));
      out[`ListEndUsers ${name} page of 50 p50/p95 (ms, target < 50)`] = s.text;
      out[`ListEndUsers ${name} page of 50 p95 / ListMemories p95`] = round(s.p95 / listMem.p95);
      out[`ListEndUsers ${name} page of 50 p95 / Health p95`] = round(s.p95 / healthS.p95);
    }
    out["ListEndUsers cold walk p95 / ListMemories p95"] = round(w.p95 / listMem.p95);

    // Page size 500: the largest page; the middle one cold (its ids not cached), then warm.
    const cursor500 = tokens[Math.floor(tokens.length / 2)]!;
    const cold = performance.now();
    await endUsers.listEndUsers({ pageSize: 500, pageToken: cursor500 });
    out["ListEndUsers middle page of 500, cold ids (ms)"] = round(performance.now() - cold);
    const big = p50p95(
      await timed(Math.ceil(samples / 4), () => endUsers.listEndUsers({ pageSize: 500, pageToken: cursor500 })),
    );
    out["ListEndUsers middle page of 500 p50/p95 (ms)"] = big.text;

    // GetEndUser by external id: random ids over the whole range.
    const ids = Array.from({ length: samples }, (_, i) => `user-${(i * 7919) % count}`);
    for (let i = 0; i < 20; i++) await endUsers.getEndUser({ endUserId: ids[i]! });
    const get = p50p95(await timed(samples, (i) => endUsers.getEndUser({ endUserId: ids[i]! })));
    out["GetEndUser by external id p50/p95 (ms)"] = get.text;
    out["GetEndUser p95 / Health p95"] = round(get.p95 / healthS.p95);
  } finally {
    await server.close();
  }
  return out;
}

/**
 * Spec (DESIGN.md §11, "every statement names its routing key explicitly"): every SQL statement the
 * memory and end-user paths send that touches a tenant table names the owner it acts on — `owner_id =`
 * (or `id =` on owners) in its WHERE clause, or owner_id/id among the columns it inserts — not only
 * through RLS. The statements are captured from the driver (postgres.js `debug` hook) while a
 * scenario runs every MemoryService RPC for an end user and for the account itself, and the end-user
 * store functions (create, find, revoke, erase). Allowed exceptions, each named below: the account's
 * end-user listing (the management path's one per-account read), the embedding backfill's claim of
 * pending vectors across owners (then owner by owner), and paths this scenario does not
 * run by design — the policy job (store/policies.ts, walks every account by tier) and an account's
 * erasure (store/erase-user.ts, deletes by account_id across all its owners).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bumpTokenVersion, eraseOwner, findEndUser, listEndUsers } from "../../src/store/end-users.js";
import { inTx, userContext } from "../../src/store/tx.js";
import { backfillOnce } from "../../src/jobs/embedding-backfill.js";
import { startEmbeddingServer, type EmbeddingServer } from "../support/embedding-server.js";
import { openStoreFixture, type StoreFixture } from "./memories-fixture.js";

const TENANT_TABLES = [
  "memories",
  "memory_terms",
  "memory_versions",
  "memory_stats",
  "memory_clusters",
  "memory_vectors",
  "memory_vector_versions",
  "owners",
];
const TENANT = new RegExp(`\\b(${TENANT_TABLES.join("|")})\\b`);

/** Statements allowed to read across the account's owners, each matched by a distinctive fragment. */
const EXCEPTIONS: { why: string; match: RegExp }[] = [
  {
    why:
      "store/end-users.ts listEndUsers: the account's end users in creation order (owners_account_end_users_idx)," +
      " for ListEndUsers and ExportMemories(all_end_users), which then reads owner by owner",
    match: /from owners o\s+where o\.account_id = \$1 and o\.external_id_ct is not null/,
  },
  {
    why:
      "store/vector-backfill.ts claimPending: the embedding backfill's queue across owners" +
      " (memory_vectors_pending_idx), which then works owner by owner",
    match: /from memory_vectors where state = 'pending' and next_attempt_at <= now\(\)/,
  },
];

let f: StoreFixture;
let embedder: EmbeddingServer;
let account: string;
const captured: string[] = [];

/** Runs fn while recording every statement text the pool sends. */
async function capture<T>(fn: () => Promise<T>): Promise<T> {
  const options = f.sql.options as { debug?: unknown };
  options.debug = (_conn: number, query: string) => captured.push(query);
  try {
    return await fn();
  } finally {
    options.debug = false;
  }
}

beforeAll(async () => {
  embedder = await startEmbeddingServer(8);
  // Vectors on (provider and client vectors), so their statements are captured too.
  f = await openStoreFixture({
    MEMORIC_EMBEDDINGS_URL: embedder.url,
    MEMORIC_EMBEDDINGS_MODEL: "trigram-test",
    MEMORIC_EMBEDDINGS_DIMENSIONS: "8",
  });
  account = await f.newUser("router");
  const s = f.service;
  await capture(async () => {
    for (const endUserId of ["", "eu-routing-1"]) {
      const ctx = f.ctx(account);
      const m = await s.createMemory(
        { content: "Allergic to peanuts, carries an EpiPen", threadId: "t1", topic: "health", endUserId },
        ctx,
      );
      await s.createMemory(
        { content: "Same content again", threadId: "t1", idempotencyKey: "k1", endUserId, metadata: { a: "b" } },
        ctx,
      );
      await s.createMemory({ content: "Same content again", threadId: "t1", idempotencyKey: "k1", endUserId }, ctx);
      await s.batchCreateMemories(
        {
          endUserId,
          memories: [
            { content: "Prefers oat milk flat white", threadId: "t2", endUserId },
            { content: "Lives in Lisbon", threadId: "t2", endUserId },
          ],
        },
        ctx,
      );
      await s.createMemory({ content: "Owns a bicycle", embedding: embedder.vectorOf("bicycle"), endUserId }, ctx);
      await backfillOnce(f.app);
      await s.searchMemories({ query: "bicycle milk", endUserId, explain: true }, ctx);
      await s.searchMemories({ query: "", queryEmbedding: embedder.vectorOf("bike"), endUserId }, ctx);
      const id = m.memory!.id;
      await s.getMemory({ id, endUserId }, ctx);
      await s.listMemories({ pageSize: 1, endUserId }, ctx);
      const page = await s.listMemories({ pageSize: 1, endUserId }, ctx);
      await s.listMemories({ pageSize: 1, pageToken: page.nextPageToken, endUserId }, ctx);
      await s.listMemories({ endUserId, filter: { threadId: "t1", metadata: { a: "b" }, topic: "health" } }, ctx);
      await s.searchMemories({ query: "peanuts milk", endUserId, explain: true }, ctx);
      await s.searchMemories({ query: "", endUserId, threadId: "t2" }, ctx);
      await s.getContext({ query: "what does the user drink", endUserId }, ctx);
      await s.updateMemory(
        { id, endUserId, content: "Allergic to peanuts and tree nuts", updateMask: { paths: ["content"] } },
        ctx,
      );
      await s.getMemoryHistory({ id, endUserId }, ctx);
      await s.rebuildClusters({ endUserId }, ctx);
      await s.listClusters({ endUserId }, ctx);
      for await (const _ of s.exportMemories({ endUserId }, ctx));
      if (endUserId === "") for await (const _ of s.exportMemories({ allEndUsers: true }, ctx));
      await s.deleteMemory({ id, endUserId }, ctx);
      await s.deleteMemories({ endUserId, filter: { threadId: "t2" } }, ctx);
    }
    const owner = { accountId: account, ownerId: (await listEndUsers0()).id };
    await inTx(f.sql, userContext(account, owner.ownerId), async (tx) => {
      await findEndUser(tx, owner);
      await bumpTokenVersion(tx, owner);
      await eraseOwner(tx, owner);
    });
  });
}, 180_000);
afterAll(async () => {
  await f?.close();
  await embedder?.close();
});

/** The scenario's one end user, through the listing (itself one of the captured statements). */
async function listEndUsers0() {
  const page = await inTx(f.sql, userContext(account), (tx) => listEndUsers(tx, account, 10, undefined));
  expect(page.rows).toHaveLength(1);
  return page.rows[0]!;
}

/** Splits a captured text (context statements arrive as one multi-statement query) into statements. */
function statements(): string[] {
  return captured.flatMap((q) => q.split(/;\s*(?=\S)/)).map((q) => q.replace(/\s+/g, " ").trim());
}

const TABLES = `(${TENANT_TABLES.join("|")})`;
const INSERT = new RegExp(`insert into "?${TABLES}"? \\(([^)]*)\\)`, "gi");
const READ = new RegExp(`\\b(?:from|join|update|delete from) "?${TABLES}"?\\b`, "gi");

/**
 * Each insert lists the routing column (owner_id; id for owners), and every other reference to a
 * tenant table (from, join, update, delete) has an equality on it of its own: at least as many
 * `owner_id = $n` as references to memory tables (a correlated `owner_id = o.id` counts when the outer
 * owners row is pinned by `o.id = $n`), and as many `id = $n` as references to owners.
 */
function namesOwner(q: string): boolean {
  for (const [, table, cols] of q.matchAll(INSERT)) {
    const names = cols!.split(",").map((c) => c.trim().replaceAll('"', ""));
    if (!names.includes(table === "owners" ? "id" : "owner_id")) return false;
  }
  const tables = [...q.matchAll(READ)].map((m) => m[1]!);
  const count = (re: RegExp) => [...q.matchAll(re)].length;
  const pinned = count(/\bowner_id = \$\d+/g) + (/\bo\.id = \$\d+/.test(q) ? count(/\bowner_id = o\.id\b/g) : 0);
  if (tables.filter((t) => t !== "owners").length > pinned) return false;
  return tables.filter((t) => t === "owners").length <= count(/\b(o\.)?id = \$\d+/g);
}

describe("the routing key (owner_id) in every tenant statement", () => {
  it("captured the scenario's statements", () => {
    if (process.env.SHOW_SQL) console.log([...new Set(statements().filter((q) => TENANT.test(q)))].join("\n\n"));
    expect(statements().filter((q) => TENANT.test(q)).length).toBeGreaterThan(40);
  });

  it("names owner_id (or owners.id) explicitly in each one, exceptions listed", () => {
    const offending = statements()
      .filter((q) => TENANT.test(q) && !q.startsWith("set local"))
      .filter((q) => !EXCEPTIONS.some((e) => e.match.test(q)))
      .filter((q) => !namesOwner(q));
    expect([...new Set(offending)]).toEqual([]);
  });

  it("the check itself refuses a statement whose join or subquery does not name the owner", () => {
    const ok =
      "select m.id from memories m where m.owner_id = $1 and m.id in " +
      "(select memory_id from memory_terms t where t.owner_id = $2)";
    expect(namesOwner(ok)).toBe(true);
    expect(namesOwner(ok.replace("t.owner_id = $2", "t.term_hash = $2"))).toBe(false);
    expect(namesOwner("select o.id from owners o where o.account_id = $1")).toBe(false);
    expect(namesOwner("insert into memory_terms (memory_id, term_hash) select 1, 2")).toBe(false);
    expect(namesOwner('insert into memories ("id","owner_id") values ($1, $2)')).toBe(true);
  });

  it("each listed exception was seen (the list stays current)", () => {
    const all = statements();
    for (const e of EXCEPTIONS)
      expect(
        all.some((q) => e.match.test(q)),
        e.why,
      ).toBe(true);
  });
});

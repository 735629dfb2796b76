/**
 * Every path that deletes, supersedes or rewrites a memory moves the owner's vector version in the
 * same transaction, so a replica holding the owner's decrypted index reloads it at its next search.
 * "Another replica" here is a second VectorCache on the same database: warmed before the change, it
 * must answer the new ready set after it. Also: a memory without a ready vector is ranked by its
 * lexical relevance alone. The test embedding server has no semantic quality; nothing here claims any.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SearchMode } from "../../gen/memoric/v1/memory_pb.js";
import { backfillOnce } from "../../src/jobs/embedding-backfill.js";
import { eraseOwner } from "../../src/store/end-users.js";
import { eraseUserData } from "../../src/store/erase-user.js";
import { loadIndex, vectorSettings, VectorCache } from "../../src/store/memory-vectors.js";
import type { Owner } from "../../src/store/owner.js";
import { inTx, SYSTEM } from "../../src/store/tx.js";
import { startEmbeddingServer, type EmbeddingServer } from "../support/embedding-server.js";
import { openStoreFixture, type StoreFixture } from "./memories-fixture.js";

let f: StoreFixture;
let server: EmbeddingServer;
let user: string;
const DIMS = 16;

beforeAll(async () => {
  server = await startEmbeddingServer(DIMS);
  f = await openStoreFixture({
    MEMORIC_EMBEDDINGS_URL: server.url,
    MEMORIC_EMBEDDINGS_MODEL: "trigram-test",
    MEMORIC_EMBEDDINGS_DIMENSIONS: String(DIMS),
    MEMORIC_POLICY_TRIM_ABOVE_CHARS: "50",
    MEMORIC_POLICY_MID_TERM_AFTER_DAYS: "7",
    MEMORIC_POLICY_SUMMARY_MIN_MEMORIES: "2",
  });
});
afterAll(async () => {
  await f?.close();
  await server?.close();
});
beforeEach(async () => {
  user = await f.newUser();
});

const ctx = () => f.ctx(user);
const admin = () => f.ctx("00000000-0000-4000-8000-0000000000ad", ["ADMIN"]);
const ownerOf = async (memoryId: string): Promise<Owner> => {
  const [r] = await f.sql<{ owner_id: string; account_id: string }[]>`
    select owner_id, account_id from memories where id = ${memoryId}`;
  return { ownerId: r!.owner_id, accountId: r!.account_id };
};
const version = async (owner: Owner) =>
  (
    await f.sql<
      { version: string }[]
    >`select version::text from memory_vector_versions where owner_id = ${owner.ownerId}`
  )[0]?.version;

/** A replica of its own: its cache, warmed by the first call; ids of the index it would search. */
function replica() {
  const cache = new VectorCache(1 << 20);
  const deps = { ...f.app, vectors: cache };
  return {
    cache,
    ids: async (owner: Owner) => {
      const index = await inTx(f.db.sql, SYSTEM, (tx) => loadIndex(deps, tx, owner, vectorSettings(f.config)!));
      return index ? [...index.ids].sort() : undefined;
    },
  };
}

async function write(content: string, extra: Record<string, unknown> = {}) {
  const res = await f.service.createMemory({ content, embedding: server.vectorOf(content), ...extra }, ctx());
  return res.memory!;
}

describe("the owner's vector version moves on every change to its searchable vectors", () => {
  it("DeleteMemory and DeleteMemories", async () => {
    const a = await write("apple pie recipe");
    const b = await write("banana bread", { topic: "baking" });
    const c = await write("cherry tart", { topic: "baking" });
    const owner = await ownerOf(a.id);
    const other = replica();
    expect(await other.ids(owner)).toEqual([a.id, b.id, c.id].sort());
    const before = await version(owner);
    await f.service.deleteMemory({ id: a.id }, f.ctx(user, ["USER"], "deleteMemory"));
    expect(await version(owner)).not.toBe(before);
    expect(await other.ids(owner)).toEqual([b.id, c.id].sort());
    await f.service.deleteMemories({ filter: { topic: "baking" } }, f.ctx(user, ["USER"], "deleteMemories"));
    expect(await other.ids(owner)).toEqual([]);
  });

  it("supersession (plain or by a dedupe merge) drops old memories; deleting the new one restores them", async () => {
    const old = await write("I live in Portland");
    const older = await write("I live in Salem");
    const owner = await ownerOf(old.id);
    const other = replica();
    expect(await other.ids(owner)).toHaveLength(2);
    const moved = await write("I moved to Seattle", { supersedes: [old.id] });
    expect(await other.ids(owner)).toEqual([older.id, moved.id].sort());
    // A duplicate of the new memory, merged into it, superseding another one.
    const merged = await f.service.createMemory(
      { content: "I moved to Seattle", dedupe: true, supersedes: [older.id] },
      ctx(),
    );
    expect(merged.merged).toBe(true);
    expect(await other.ids(owner)).toEqual([moved.id]);
    // superseded_by is cleared when the superseding memory goes: both come back into the index.
    await f.service.deleteMemory({ id: moved.id }, f.ctx(user, ["USER"], "deleteMemory"));
    expect(await other.ids(owner)).toEqual([old.id, older.id].sort());
  });

  it("UpdateMemory of the content: the stale vector leaves the index until re-embedded", async () => {
    const m = await write("green tea");
    const owner = await ownerOf(m.id);
    const other = replica();
    expect(await other.ids(owner)).toEqual([m.id]);
    await f.service.updateMemory(
      { id: m.id, content: "black coffee", updateMask: { paths: ["content"] } },
      f.ctx(user, ["USER"], "updateMemory"),
    );
    expect(await other.ids(owner)).toEqual([]);
    await backfillOnce(f.app);
    expect(await other.ids(owner)).toEqual([m.id]);
  });

  it("policies: expiry and retention delete, trimming and summary refreshes re-embed", async () => {
    const expiring = await write("a note that expires");
    const keep = await write("a note that stays");
    const owner = await ownerOf(expiring.id);
    await f.sql`update memories set expires_at = now() - interval '1 minute' where id = ${expiring.id}`;
    const other = replica();
    expect(await other.ids(owner)).toHaveLength(2);
    await f.service.runPolicies({}, admin());
    expect(await other.ids(owner)).toEqual([keep.id]);

    const long = await write("A long memory that the trim policy will shorten to its first sentence. Yes, it will.");
    const t1 = await write("thread one first", { threadId: "th" });
    const t2 = await write("thread one second", { threadId: "th" });
    await f.sql`update memories set created_at = now() - interval '10 days' where id = ${long.id}`;
    expect(await other.ids(owner)).toHaveLength(4);
    await f.service.runPolicies({}, admin());
    // Trimmed: pending again; the new summary: pending (not searchable by vector yet).
    expect(await other.ids(owner)).toEqual([keep.id, t1.id, t2.id].sort());
    await backfillOnce(f.app);
    const [summary] = await f.sql<{ id: string }[]>`select id from memories where owner_id = ${user} and is_summary`;
    expect(await other.ids(owner)).toEqual([keep.id, long.id, t1.id, t2.id, summary!.id].sort());
    // The thread grows: the summary is rewritten, its vector stale until the backfill.
    const t3 = await write("thread one third", { threadId: "th" });
    expect(await other.ids(owner)).toContain(t3.id);
    await f.service.runPolicies({}, admin());
    expect(await other.ids(owner)).not.toContain(summary!.id);
  });

  it("erasing an end user (DeleteEndUser) or an account (DeleteUser): another replica's index goes too", async () => {
    const own = await write("the account's own memory");
    const theirs = await write("an end user's memory", { endUserId: "eu-erase" });
    const account = await ownerOf(own.id);
    const endUser = await ownerOf(theirs.id);
    const other = replica();
    expect(await other.ids(endUser)).toEqual([theirs.id]);
    expect(await other.ids(account)).toEqual([own.id]);
    await inTx(f.db.sql, SYSTEM, (tx) => eraseOwner(tx, endUser));
    expect(await other.ids(endUser)).toBeUndefined();
    expect(other.cache.get(endUser.ownerId)).toBeUndefined();
    await inTx(f.db.sql, SYSTEM, (tx) => eraseUserData(tx, { forget: () => undefined }, user));
    expect(await other.ids(account)).toBeUndefined();
    expect(other.cache.get(account.ownerId)).toBeUndefined();
  });
});

describe("fusion with memories not embedded yet", () => {
  it("a pending or failed vector leaves the memory its lexical relevance, unpenalised", async () => {
    const embedded = await write("zebra crossing near the school");
    const pending = (await f.service.createMemory({ content: "zebra crossing by the park" }, ctx())).memory!;
    const failed = (await f.service.createMemory({ content: "zebra crossing at the station" }, ctx())).memory!;
    await f.sql`update memory_vectors set state = 'failed', attempts = 8 where memory_id = ${failed.id}`;
    const r = await f.service.searchMemories(
      { query: "zebra crossing", explain: true },
      f.ctx(user, ["USER"], "searchMemories"),
    );
    expect(r.mode).toBe(SearchMode.HYBRID);
    const byId = new Map(r.results.map((x) => [x.memory!.id, x.explanation!]));
    const w = f.config.memory.search.denseWeight;
    const e = byId.get(embedded.id)!;
    expect(e.relevance).toBeCloseTo((1 - w) * e.lexicalRelevance + w * e.dense, 9);
    for (const id of [pending.id, failed.id]) {
      const x = byId.get(id)!;
      expect(x.lexicalRelevance).toBeGreaterThan(0);
      expect(x.dense).toBe(0);
      expect(x.relevance).toBeCloseTo(x.lexicalRelevance, 9);
    }
    // min_score applies to that same relevance.
    const floor = byId.get(pending.id)!.relevance;
    const filtered = await f.service.searchMemories(
      { query: "zebra crossing", minScore: floor },
      f.ctx(user, ["USER"], "searchMemories"),
    );
    expect(filtered.results.map((x) => x.memory!.id)).toContain(pending.id);
  });
});

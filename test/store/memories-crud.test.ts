/**
 * Spec: MemoryService CRUD on the caller's own data, through the handlers with a principal (the
 * transport-level twin is test/e2e/memory-rpc.test.ts): create with derived metadata (caller values
 * win), get, list with filters and cursor pagination, update with a field mask keeping history,
 * delete, delete-by-filter, batch all-or-nothing, idempotent retry, export, and validation errors
 * naming the field. Another user's id answers NotFound like an unknown one.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ChatRole,
  CreateMemoryRequestSchema,
  DeleteMemoriesRequestSchema,
  ListMemoriesRequestSchema,
  type MemoryFilterSchema,
  Importance,
  MemoryTier,
  type CreateMemoryRequest,
  type GetMemoryHistoryResponse,
  type Memory,
} from "../../gen/memoric/v1/memory_pb.js";
import { openStoreFixture, type StoreFixture } from "./memories-fixture.js";

type MemoryFilterInit = MessageInitShape<typeof MemoryFilterSchema>;
let f: StoreFixture;
let alice: string;
let bob: string;

beforeAll(async () => {
  f = await openStoreFixture({ MEMORIC_MAX_BATCH_SIZE: "5", MEMORIC_MAX_CONTENT_BYTES: "64" });
  alice = await f.newUser("alice");
  bob = await f.newUser("bob");
});
afterAll(async () => {
  await f?.close();
});

type CreateInit = MessageInitShape<typeof CreateMemoryRequestSchema> & { content: string };
const req = (init: CreateInit): CreateMemoryRequest => create(CreateMemoryRequestSchema, init);

async function createAs(user: string, init: CreateInit): Promise<Memory> {
  const res = await f.service.createMemory(req(init), f.ctx(user));
  return res.memory as Memory;
}

async function codeOf(p: Promise<unknown> | unknown): Promise<[Code | undefined, string]> {
  try {
    await p;
    return [undefined, ""];
  } catch (e) {
    const err = ConnectError.from(e);
    return [err.code, err.rawMessage];
  }
}

describe("create and get", () => {
  it("derives topic, category, importance and entities when the caller gives none", async () => {
    const m = await createAs(alice, { content: "I am allergic to peanuts, says Dr. Jane Smith" });
    expect(m.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(m.importance).toBe(Importance.CRITICAL);
    expect(m.category).toBe("health");
    expect(m.topic).not.toBe("");
    expect(m.entities).toContain("Dr. Jane Smith");
    expect(m.version).toBe(1);
    expect(m.tier).toBe(MemoryTier.SHORT_TERM);
    const got = await f.service.getMemory({ id: m.id }, f.ctx(alice));
    expect(got.memory).toMatchObject({
      id: m.id,
      content: m.content,
      topic: m.topic,
      category: "health",
      importance: Importance.CRITICAL,
    });
  });

  it("keeps caller-supplied topic, category and importance over derived ones", async () => {
    const m = await createAs(alice, {
      content: "I am allergic to cats",
      topic: "Pets",
      category: "home",
      importance: Importance.LOW,
      role: ChatRole.ASSISTANT,
      metadata: { source: "chat", n: 3 },
    });
    expect(m).toMatchObject({ topic: "Pets", category: "home", importance: Importance.LOW, role: ChatRole.ASSISTANT });
    expect(m.metadata).toEqual({ source: "chat", n: 3 });
  });

  it("answers NotFound for an unknown id and for another user's id alike", async () => {
    const mine = await createAs(alice, { content: "alice secret plan" });
    const [c1] = await codeOf(f.service.getMemory({ id: mine.id }, f.ctx(bob)));
    const [c2] = await codeOf(f.service.getMemory({ id: "00000000-0000-4000-8000-000000000000" }, f.ctx(bob)));
    expect(c1).toBe(Code.NotFound);
    expect(c2).toBe(Code.NotFound);
    const [c3] = await codeOf(f.service.deleteMemory({ id: mine.id }, f.ctx(bob)));
    expect(c3).toBe(Code.NotFound);
    const [c4] = await codeOf(
      f.service.updateMemory({ id: mine.id, content: "x", updateMask: { paths: ["content"] } }, f.ctx(bob)),
    );
    expect(c4).toBe(Code.NotFound);
    const [c5] = await codeOf(f.service.getMemoryHistory({ id: mine.id }, f.ctx(bob)));
    expect(c5).toBe(Code.NotFound);
  });

  it("rejects bad input with InvalidArgument naming the field", async () => {
    const cases: [Promise<unknown> | (() => unknown), string][] = [
      [f.service.createMemory(req({ content: "   " }), f.ctx(alice)), "content"],
      [f.service.createMemory(req({ content: "x".repeat(65) }), f.ctx(alice)), "content"],
      [f.service.createMemory(req({ content: "é".repeat(33) }), f.ctx(alice)), "content"], // 66 UTF-8 bytes
      [f.service.createMemory(req({ content: "ok", importance: 9 as Importance }), f.ctx(alice)), "importance"],
      [
        f.service.createMemory(
          req({ content: "ok", expiresAt: timestampFromDate(new Date(Date.now() - 1000)) }),
          f.ctx(alice),
        ),
        "expires_at",
      ],
      [f.service.createMemory(req({ content: "ok", threadId: "a\nb" }), f.ctx(alice)), "thread_id"],
      [f.service.getMemory({ id: "not-a-uuid" }, f.ctx(alice)), "id"],
      [f.service.listMemories({ pageSize: 501, pageToken: "" }, f.ctx(alice)), "page_size"],
      [f.service.listMemories({ pageSize: 10, pageToken: "garbage!" }, f.ctx(alice)), "page_token"],
      [
        f.service.listMemories(
          { pageSize: 10, pageToken: Buffer.from('["x","y"]').toString("base64url") },
          f.ctx(alice),
        ),
        "page_token",
      ],
      [
        f.service.updateMemory(
          { id: "00000000-0000-4000-8000-000000000000", updateMask: { paths: ["owner"] } },
          f.ctx(alice),
        ),
        "update_mask",
      ],
      [
        f.service.updateMemory({ id: "00000000-0000-4000-8000-000000000000", updateMask: { paths: [] } }, f.ctx(alice)),
        "update_mask",
      ],
      [
        f.service.batchCreateMemories(
          { memories: Array.from({ length: 6 }, () => req({ content: "x" })) },
          f.ctx(alice),
        ),
        "memories",
      ],
      [f.service.batchCreateMemories({ memories: [] }, f.ctx(alice)), "memories"],
      [f.service.deleteMemories({ all: false }, f.ctx(alice)), "filter"],
    ];
    for (const [p, field] of cases) {
      const [code, msg] = await codeOf(p);
      expect(code, field).toBe(Code.InvalidArgument);
      expect(msg.startsWith(field) || msg.includes(`${field}`), msg).toBe(true);
    }
  });
});

describe("batch", () => {
  it("creates all items in one call", async () => {
    const res = await f.service.batchCreateMemories(
      { memories: [req({ content: "batch one", threadId: "b1" }), req({ content: "batch two", threadId: "b1" })] },
      f.ctx(alice),
    );
    expect(res.memories).toHaveLength(2);
  });

  it("is all or nothing: one invalid item writes nothing", async () => {
    const before = await f.sql`select count(*)::int as n from memories`;
    const [code, msg] = await codeOf(
      f.service.batchCreateMemories({ memories: [req({ content: "fine" }), req({ content: "" })] }, f.ctx(alice)),
    );
    expect(code).toBe(Code.InvalidArgument);
    expect(msg).toMatch(/^memories\[1\]\.content/);
    const after = await f.sql`select count(*)::int as n from memories`;
    expect(after[0]!.n).toBe(before[0]!.n);
  });
});

describe("idempotency", () => {
  it("returns the first memory with replayed=true on retry, without a duplicate", async () => {
    const first = await f.service.createMemory(req({ content: "pay the rent", idempotencyKey: "k-1" }), f.ctx(alice));
    const retry = await f.service.createMemory(req({ content: "pay the rent", idempotencyKey: "k-1" }), f.ctx(alice));
    expect(first.replayed).toBe(false);
    expect(retry.replayed).toBe(true);
    expect(retry.memory!.id).toBe(first.memory!.id);
    expect(retry.memory!.content).toBe("pay the rent");
    // The same key from another user is another memory.
    const other = await f.service.createMemory(req({ content: "pay the rent", idempotencyKey: "k-1" }), f.ctx(bob));
    expect(other.replayed).toBe(false);
    expect(other.memory!.id).not.toBe(first.memory!.id);
  });

  it("is race-safe: concurrent retries create exactly one memory", async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        f.service.createMemory(req({ content: "race", idempotencyKey: "race-key" }), f.ctx(alice)),
      ),
    );
    expect(new Set(results.map((r) => r.memory!.id)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
  });
});

describe("update and history", () => {
  it("changes only masked fields, bumps the version and keeps every previous version", async () => {
    const m = await createAs(alice, { content: "I like green tea", threadId: "t-upd", metadata: { a: 1 } });
    const u1 = await f.service.updateMemory(
      { id: m.id, content: "I like black coffee", threadId: "ignored", updateMask: { paths: ["content"] } },
      f.ctx(alice),
    );
    expect(u1.memory).toMatchObject({ content: "I like black coffee", threadId: "t-upd", version: 2 });
    const u2 = await f.service.updateMemory(
      { id: m.id, metadata: { a: 2 }, importance: Importance.HIGH, updateMask: { paths: ["metadata", "importance"] } },
      f.ctx(alice),
    );
    expect(u2.memory).toMatchObject({
      content: "I like black coffee",
      version: 3,
      importance: Importance.HIGH,
      metadata: { a: 2 },
    });
    const h = (await f.service.getMemoryHistory({ id: m.id }, f.ctx(alice))) as GetMemoryHistoryResponse;
    expect(h.versions.map((v) => [v.version, v.content, v.reason])).toEqual([
      [1, "I like green tea", "update"],
      [2, "I like black coffee", "update"],
      [3, "I like black coffee", "current"],
    ]);
    expect(h.versions[0]!.metadata).toEqual({ a: 1 });
  });

  it("re-derives derived fields from new content but keeps explicit ones", async () => {
    const m = await createAs(alice, { content: "meeting with the manager about the project", category: "mine" });
    expect(m.category).toBe("mine");
    const u = await f.service.updateMemory(
      { id: m.id, content: "allergic to shellfish", updateMask: { paths: ["content"] } },
      f.ctx(alice),
    );
    expect(u.memory).toMatchObject({ category: "mine", importance: Importance.CRITICAL });
    expect(u.memory!.topic).not.toBe(m.topic);
  });
});

describe("list, filters, pagination, delete", () => {
  it("pages through everything newest first with a stable cursor", async () => {
    const u = await f.newUser("pager");
    for (let i = 0; i < 7; i++) await createAs(u, { content: `note number ${i}`, threadId: i % 2 ? "odd" : "even" });
    const seen: string[] = [];
    let token = "";
    do {
      const page = await f.service.listMemories({ pageSize: 3, pageToken: token }, f.ctx(u));
      seen.push(...page.memories.map((m) => m.content));
      token = page.nextPageToken;
    } while (token);
    expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0].map((i) => `note number ${i}`));
  });

  it("filters by thread, topic, category, importance, metadata and time", async () => {
    const u = await f.newUser("filters");
    const a = await createAs(u, {
      content: "alpha",
      threadId: "t1",
      topic: "Garden",
      category: "home",
      metadata: { project: "x", tags: ["a", "b"] },
    });
    const b = await createAs(u, {
      content: "bravo",
      threadId: "t2",
      topic: "garden ",
      importance: Importance.CRITICAL,
      metadata: { project: "y" },
    });
    const list = async (filter: MemoryFilterInit) =>
      (await f.service.listMemories(create(ListMemoriesRequestSchema, { filter, pageSize: 50 }), f.ctx(u))).memories
        .map((m) => m.id)
        .sort();
    expect(await list({ threadId: "t1" })).toEqual([a.id]);
    expect(await list({ topic: "GARDEN" })).toEqual([a.id, b.id].sort());
    expect(await list({ category: "home" })).toEqual([a.id]);
    expect(await list({ minImportance: Importance.CRITICAL })).toEqual([b.id]);
    expect(await list({ metadata: { project: "x" } })).toEqual([a.id]);
    expect(await list({ metadata: { project: "x", tags: ["a", "b"] } })).toEqual([a.id]);
    expect(await list({ metadata: { project: "z" } })).toEqual([]);
    expect(await list({ createdAfter: timestampFromDate(new Date(Date.now() + 60_000)) })).toEqual([]);
    expect(await list({ createdBefore: timestampFromDate(new Date(Date.now() + 60_000)) })).toEqual(
      [a.id, b.id].sort(),
    );
  });

  it("deletes one memory with its history and terms, and by filter with a count", async () => {
    const u = await f.newUser("deleter");
    const m = await createAs(u, { content: "delete me please", threadId: "gone" });
    await f.service.updateMemory({ id: m.id, content: "delete me now", updateMask: { paths: ["content"] } }, f.ctx(u));
    await f.service.deleteMemory({ id: m.id }, f.ctx(u));
    const [code] = await codeOf(f.service.getMemory({ id: m.id }, f.ctx(u)));
    expect(code).toBe(Code.NotFound);
    const left = await f.sql`
      select (select count(*) from memory_versions where memory_id = ${m.id})::int as v,
        (select count(*) from memory_terms where memory_id = ${m.id})::int as t`;
    expect(left[0]).toEqual({ v: 0, t: 0 });
    for (let i = 0; i < 3; i++) await createAs(u, { content: `bulk ${i}`, threadId: "bulk" });
    await createAs(u, { content: "keeper", threadId: "keep" });
    const res = await f.service.deleteMemories(
      create(DeleteMemoriesRequestSchema, { filter: { threadId: "bulk" } }),
      f.ctx(u),
    );
    expect(res.deletedCount).toBe(3n);
    const all = await f.service.deleteMemories(create(DeleteMemoriesRequestSchema, { all: true }), f.ctx(u));
    expect(all.deletedCount).toBe(1n);
    // No orphan postings (memory_terms has no foreign key to cascade), and the counters sum to zero.
    const rest = await f.sql`
      select (select count(*) from memory_terms where owner_id = ${u})::int as t,
        (select coalesce(sum(doc_count), 0) from memory_stats where owner_id = ${u})::int as n,
        (select coalesce(sum(total_len), 0) from memory_stats where owner_id = ${u})::int as len`;
    expect(rest[0]).toEqual({ t: 0, n: 0, len: 0 });
  });

  it("keeps each memory's term hashes equal to its postings (how deletes find them)", async () => {
    const u = await f.newUser("postings");
    const a = await createAs(u, { content: "the marathon runners ran through Berlin" });
    const batch = [{ content: "green tea, no coffee" }, { content: "allergic to peanuts" }];
    await f.service.batchCreateMemories({ memories: batch }, f.ctx(u));
    const rewrite = { id: a.id, content: "the swimmers swam in Hamburg", updateMask: { paths: ["content"] } };
    await f.service.updateMemory(rewrite, f.ctx(u));
    const rows = await f.sql<{ stored: string[]; postings: string[] }[]>`
      select (select array_agg(h::text order by h) from unnest(m.term_hashes) h) as stored,
             (select array_agg(t.term_hash::text order by t.term_hash) from memory_terms t
              where t.owner_id = m.owner_id and t.memory_id = m.id) as postings
      from memories m where m.owner_id = ${u}`;
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      expect(r.stored.length).toBeGreaterThan(0);
      expect(r.postings).toEqual(r.stored);
    }
  });

  it("keeps the BM25 counters equal to the rows, across creates, a batch, updates and deletes", async () => {
    const u = await f.newUser("counter");
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await createAs(u, { content: `counted memory number ${i} words` })).id);
    await f.service.batchCreateMemories(
      { memories: Array.from({ length: 5 }, (_, i) => ({ content: `batched ${i} with several more words` })) },
      f.ctx(u),
    );
    await f.service.updateMemory(
      { id: ids[0]!, content: "now much shorter", updateMask: { paths: ["content"] } },
      f.ctx(u),
    );
    for (const id of ids.slice(5)) await f.service.deleteMemory({ id }, f.ctx(u));
    const [row] = await f.sql`
      select (select count(*) from memories where owner_id = ${u})::int as rows,
        (select coalesce(sum(doc_len), 0) from memories where owner_id = ${u})::int as len,
        (select sum(doc_count) from memory_stats where owner_id = ${u})::int as n,
        (select sum(total_len) from memory_stats where owner_id = ${u})::int as total`;
    expect(row).toEqual({ rows: 10, len: row!.total, n: 10, total: row!.len });
  });
});

describe("export", () => {
  it("streams every memory of the caller with its versions, and nothing of others", async () => {
    const u = await f.newUser("exporter");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createAs(u, { content: `export ${i}` })).id);
    await f.service.updateMemory(
      { id: ids[0]!, content: "export 0 edited", updateMask: { paths: ["content"] } },
      f.ctx(u),
    );
    const out = [];
    for await (const item of f.service.exportMemories({}, f.ctx(u))) out.push(item);
    expect(out.map((o) => o.memory!.id).sort()).toEqual([...ids].sort());
    const edited = out.find((o) => o.memory!.id === ids[0])!;
    expect(edited.memory!.content).toBe("export 0 edited");
    expect(edited.versions!.map((v) => v.content)).toEqual(["export 0"]);
  });
});

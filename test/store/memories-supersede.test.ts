/**
 * Spec: supersession, de-duplication and pinned core memories.
 * - CreateMemory.supersedes: the old memories leave search and context, stay in get, listing,
 *   history and export (with superseded_by set); deleting the newer memory brings them back; an
 *   unknown id fails the whole call and stores nothing.
 * - A new memory with the same normalised terms as a live one reports it (duplicate_of); with dedupe
 *   it is merged into it (nothing new stored, importance raised, recency refreshed).
 * - pinned makes a memory core: GetContext's profile, until unpinned.
 */
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContextFormat, Importance } from "../../gen/memoric/v1/memory_pb.js";
import { code, openStoreFixture, type StoreFixture } from "./memories-fixture.js";

let f: StoreFixture;
beforeAll(async () => {
  f = await openStoreFixture();
});
afterAll(async () => {
  await f?.close();
});

const ctxOf = (u: string) => f.ctx(u);
const write = async (u: string, content: string, extra: Record<string, unknown> = {}) =>
  f.service.createMemory({ content, ...extra }, ctxOf(u));
const found = async (u: string, query: string) =>
  (await f.service.searchMemories({ query, topK: 50 }, ctxOf(u))).results.map((r) => r.memory!.id);
const inContext = async (u: string, query: string) =>
  (await f.service.getContext({ query }, f.ctx(u, ["USER"], "getContext"))).memoryIds;
const count = async (u: string) =>
  (await f.sql<{ n: number }[]>`select count(*)::int as n from memories where owner_id = ${u}`)[0]!.n;

describe("supersedes", () => {
  it("takes the old memory out of search and context, keeps it in get, list, history and export", async () => {
    const u = await f.newUser();
    const old = (await write(u, "I live in Portland, Oregon")).memory!;
    await f.service.updateMemory(
      { id: old.id, content: "I live in Portland, Oregon, near the river", updateMask: { paths: ["content"] } },
      ctxOf(u),
    );
    await write(u, "Works from home on Mondays");
    expect(await found(u, "Portland")).toContain(old.id);
    const res = await write(u, "I moved to Seattle last month", { supersedes: [old.id] });
    const now = res.memory!;

    expect(await found(u, "Portland")).not.toContain(old.id);
    expect(await found(u, "where do I live")).not.toContain(old.id);
    expect(await found(u, "Seattle")).toContain(now.id);
    for (const q of ["where do I live", "Portland", ""]) expect(await inContext(u, q), q).not.toContain(old.id);

    const kept = (await f.service.getMemory({ id: old.id }, ctxOf(u))).memory!;
    expect(kept.supersededBy).toBe(now.id);
    expect(kept.content).toBe("I live in Portland, Oregon, near the river");
    const listed = (await f.service.listMemories({}, ctxOf(u))).memories.find((m) => m.id === old.id);
    expect(listed?.supersededBy).toBe(now.id);
    const history = await f.service.getMemoryHistory({ id: old.id }, ctxOf(u));
    expect(history.versions.map((v) => v.content)).toContain("I live in Portland, Oregon");
    const exported = [];
    for await (const item of f.service.exportMemories({}, ctxOf(u))) exported.push(item);
    const ex = exported.find((e) => e.memory!.id === old.id)!;
    expect(ex.memory!.supersededBy).toBe(now.id);
    expect(ex.versions.length).toBeGreaterThan(0);

    // The newer memory deleted: the old one is live again.
    await f.service.deleteMemory({ id: now.id }, ctxOf(u));
    expect(await found(u, "Portland")).toContain(old.id);
    expect((await f.service.getMemory({ id: old.id }, ctxOf(u))).memory!.supersededBy).toBe("");
  });

  it("fails whole on an unknown, foreign or invalid id", async () => {
    const u = await f.newUser();
    const other = await f.newUser();
    const theirs = (await write(other, "someone else's memory")).memory!;
    const before = await count(u);
    expect(await code(write(u, "new fact", { supersedes: ["0190b6a0-0000-7000-8000-000000000000"] }))).toBe(
      Code.NotFound,
    );
    expect(await code(write(u, "new fact", { supersedes: [theirs.id] }))).toBe(Code.NotFound);
    expect(await code(write(u, "new fact", { supersedes: ["not-a-uuid"] }))).toBe(Code.InvalidArgument);
    expect(await count(u)).toBe(before);
    expect((await f.service.getMemory({ id: theirs.id }, ctxOf(other))).memory!.supersededBy).toBe("");
    expect(
      await code(f.service.batchCreateMemories({ memories: [{ content: "x", supersedes: [theirs.id] }] }, ctxOf(u))),
    ).toBe(Code.InvalidArgument);
  });
});

describe("duplicates", () => {
  it("reports a near-exact duplicate, and merges it when asked", async () => {
    const u = await f.newUser();
    const first = (await write(u, "Allergic to peanuts.", { importance: Importance.MEDIUM })).memory!;
    const again = await write(u, "allergic to PEANUTS!!");
    expect(again.duplicateOf).toBe(first.id);
    expect(again.merged).toBe(false);
    expect(again.memory!.id).not.toBe(first.id);
    expect((await write(u, "Allergic to cats")).duplicateOf).toBe("");

    const before = await count(u);
    const merged = await write(u, "Peanuts: allergic", { dedupe: true, importance: Importance.CRITICAL });
    expect(merged.merged).toBe(true);
    expect([first.id, again.memory!.id]).toContain(merged.duplicateOf);
    expect(merged.memory!.id).toBe(merged.duplicateOf);
    expect(merged.memory!.importance).toBe(Importance.CRITICAL);
    expect(await count(u)).toBe(before);
  });

  it("finds the most recent copy of a text saved again and again by reading one index entry", async () => {
    const u = await f.newUser();
    let previous = "";
    for (let i = 0; i < 30; i++) {
      const saved = await write(u, "The user prefers dark mode");
      expect(saved.duplicateOf).toBe(previous);
      previous = saved.memory!.id;
    }
    const [row] = await f.sql<{ fp: Buffer }[]>`
      select terms_hash as fp from memories where owner_id = ${u} and id = ${previous}`;
    // The lookup as CreateMemory runs it; seq scans off so the tiny test table plans like a large one.
    const plan = await f.sql.begin(async (tx) => {
      await tx`set local enable_seqscan = off`;
      return tx<{ "QUERY PLAN": string }[]>`
        explain (analyze, costs off) select m.id from memories m
        where m.owner_id = ${u} and m.terms_hash = ${row!.fp} and m.superseded_by is null and m.id <> all('{}'::uuid[])
        order by m.updated_at desc, m.id desc limit 1`;
    });
    const text = plan.map((r) => r["QUERY PLAN"]).join("\n");
    expect(text).not.toMatch(/Sort/);
    expect(text).toMatch(/Index (Only )?Scan using memories_owner_terms_hash_idx .*rows=1(\.00)? loops=1/);
  });
});

describe("pinned", () => {
  it("makes a memory core: in GetContext's profile whatever the query, until unpinned", async () => {
    const u = await f.newUser();
    const pin = (await write(u, "Prefers to be called Sam", { pinned: true, importance: Importance.LOW })).memory!;
    expect(pin.pinned).toBe(true);
    await write(u, "Collects vintage postcards");
    const ctx = await f.service.getContext(
      { query: "postcards", format: ContextFormat.STRUCTURED },
      f.ctx(u, ["USER"], "getContext"),
    );
    expect(ctx.context.startsWith("## Profile\n- Prefers to be called Sam")).toBe(true);
    await f.service.updateMemory({ id: pin.id, pinned: false, updateMask: { paths: ["pinned"] } }, ctxOf(u));
    const after = await f.service.getContext(
      { query: "postcards", format: ContextFormat.STRUCTURED },
      f.ctx(u, ["USER"], "getContext"),
    );
    expect(after.context).not.toContain("## Profile");
  });
});

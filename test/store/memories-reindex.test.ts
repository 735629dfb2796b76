/**
 * Spec: `memoric index rebuild` brings outdated blind-index postings (written by an older text
 * analysis) in line with the current one, in batches, leaves up-to-date memories untouched (so a
 * re-run after an interruption writes only what is still outdated), and makes the memories findable
 * again. It never needs plaintext outside the process: terms are HMACs under the user's key.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { indexRebuild } from "../../src/cli/index-rebuild.js";
import { openStoreFixture, type StoreFixture } from "./memories-fixture.js";

let f: StoreFixture;
beforeAll(async () => {
  f = await openStoreFixture();
});
afterAll(async () => {
  await f?.close();
});

const rebuild = (batchSize?: number) =>
  indexRebuild({ sql: f.sql, keysetBase64: f.config.secrets.keysetBase64!, batchSize, audit: f.app.audit });

describe("index rebuild", () => {
  it("re-indexes outdated memories only, in batches, and is idempotent", async () => {
    const u = await f.newUser();
    const texts = [
      "The children ran the Berlin half marathon",
      "Allergic to peanuts",
      "Lieblingsessen: Käsespätzle",
      "来月、京都へ出張します。",
      "green tea, no coffee",
    ];
    const ids: string[] = [];
    for (const content of texts) ids.push((await f.service.createMemory({ content }, f.ctx(u))).memory!.id);
    const before = await f.sql<{ memory_id: string; term_hash: string; tf: number }[]>`
      select memory_id, term_hash::text, tf from memory_terms where owner_id = ${u} order by 1, 2`;

    // An older analysis: the first three memories carry other postings and lengths.
    const stale = ids.slice(0, 3);
    await f.sql`delete from memory_terms where memory_id = any(${stale}::uuid[])`;
    await f.sql`insert into memory_terms (owner_id, memory_id, account_id, term_hash, tf, doc_len)
                select owner_id, id, account_id, 42, 1, 1 from memories where id = any(${stale}::uuid[])`;
    // (as an older analysis would have written them: lengths and counters alike)
    await f.sql`
      with old as (select sum(doc_len - 1)::int as d from memories where id = any(${stale}::uuid[]))
      update memory_stats set total_len = total_len - (select d from old)
      where owner_id = ${u} and shard = (select min(shard) from memory_stats where owner_id = ${u})`;
    await f.sql`update memories set doc_len = 1, term_hashes = '{42}' where id = any(${stale}::uuid[])`;
    const find = async (query: string) =>
      (await f.service.searchMemories({ query }, f.ctx(u))).results.map((r) => r.memory!.id);
    expect(await find("run")).not.toContain(ids[0]);

    const first = await rebuild(2);
    expect(first.failedOwners).toEqual([]);
    expect(first.memoriesReindexed).toBe(3);
    expect(first.memoriesChecked).toBeGreaterThanOrEqual(5);
    const after = await f.sql<{ memory_id: string; term_hash: string; tf: number }[]>`
      select memory_id, term_hash::text, tf from memory_terms where owner_id = ${u} order by 1, 2`;
    expect(after).toEqual(before);
    const [row] = await f.sql<{ len: number }[]>`select doc_len as len from memories where id = ${ids[0]!}`;
    expect(row!.len).toBeGreaterThan(1);
    expect(await find("run")).toContain(ids[0]);
    expect(await find("京都")).toEqual([ids[3]]);

    // The BM25 counters follow the lengths (moved by the same statements).
    const [stats] = await f.sql<{ counted: number; actual: number }[]>`
      select (select sum(total_len)::int from memory_stats where owner_id = ${u}) as counted,
             (select sum(doc_len)::int from memories where owner_id = ${u}) as actual`;
    expect(stats!.counted).toBe(stats!.actual);

    const again = await rebuild(2);
    expect(again.memoriesReindexed).toBe(0);
    const [audit] = await f.sql<{ n: number }[]>`
      select count(*)::int as n from audit_log where event_type = 'system.index.rebuilt'`;
    expect(audit!.n).toBe(2);
  });
});

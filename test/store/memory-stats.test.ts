/**
 * Spec: the BM25 counters (store/memory-stats.ts moveStats). A statement moving an owner's counters
 * locks one counter row until its transaction ends, however many memories it counts, so concurrent
 * writers of one owner (batches included) do not queue behind each other; the sums stay exact.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { moveStats } from "../../src/store/memory-stats.js";
import { selfOwner } from "../../src/store/owner.js";
import { testMode } from "../support/database.js";
import { openStoreFixture, type StoreFixture } from "./memories-fixture.js";

let f: StoreFixture;
beforeAll(async () => {
  f = await openStoreFixture();
});
afterAll(async () => {
  await f?.close();
});

// Needs a second connection to look at the first one's locks: PostgreSQL only.
describe.skipIf(testMode === "embedded")("moveStats", () => {
  it("locks one counter row per transaction, however many memories the statement counts", async () => {
    const u = await f.newUser("stats");
    await f.service.createMemory({ content: "the first memory makes the owner" }, f.ctx(u));
    await f.sql`
      insert into memory_stats (owner_id, shard, account_id)
      select ${u}, s, ${u} from generate_series(0, 63) s on conflict do nothing`;
    const before = await f.sql<{ n: number; len: number }[]>`
      select sum(doc_count)::int as n, sum(total_len)::int as len from memory_stats where owner_id = ${u}`;

    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let counted!: () => void;
    const inside = new Promise<void>((r) => (counted = r));
    const writer = f.sql.begin(async (tx) => {
      const many = moveStats(tx, selfOwner(u), tx`select gen_random_uuid(), 7, 1 from generate_series(1, 200)`);
      await tx`with stats as (${many}) select 1`;
      counted();
      await held;
    });
    await inside;
    try {
      const free = await f.sql`select shard from memory_stats where owner_id = ${u} for update skip locked`;
      expect(free.length).toBe(63);
    } finally {
      release();
      await writer;
    }
    const after = await f.sql<{ n: number; len: number }[]>`
      select sum(doc_count)::int as n, sum(total_len)::int as len from memory_stats where owner_id = ${u}`;
    expect(after[0]).toEqual({ n: before[0]!.n + 200, len: before[0]!.len + 1400 });
  });
});

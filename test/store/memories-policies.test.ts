/**
 * Spec: policies are non-destructive and never mix users. Tiers advance by age; long memories in
 * older tiers are trimmed with the original kept in history; threads with enough memories get one
 * summary per (user, thread), refreshed (old summary kept) when the thread grows; expired memories
 * are deleted with their terms and versions; a dry run changes nothing and predicts the real run;
 * two concurrent runs do not double-apply. Clusters group by (topic, category), rebuilt atomically.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryTier } from "../../gen/memoric/v1/memory_pb.js";
import { startPolicyScheduler } from "../../src/jobs/policy-scheduler.js";
import { dumpAllTables, openStoreFixture, type StoreFixture } from "./memories-fixture.js";

let f: StoreFixture;

beforeAll(async () => {
  f = await openStoreFixture({
    MEMORIC_POLICY_MID_TERM_AFTER_DAYS: "7",
    MEMORIC_POLICY_LONG_TERM_AFTER_DAYS: "30",
    MEMORIC_POLICY_TRIM_ABOVE_CHARS: "80",
    MEMORIC_POLICY_SUMMARY_MIN_MEMORIES: "3",
    MEMORIC_RETENTION_SHORT_TERM_DAYS: "60",
  });
});
afterAll(async () => {
  await f?.close();
});

const admin = () => f.ctx("00000000-0000-4000-8000-0000000000ad", ["ADMIN"]);
const run = async (dryRun = false) => {
  const res = await f.service.runPolicies({ dryRun }, admin());
  return Object.fromEntries(res.counts.map((c) => [`${c.action}:${c.tier}`, Number(c.count)]));
};
async function write(
  user: string,
  content: string,
  opts: { threadId?: string; ageDays?: number; topic?: string; category?: string } = {},
) {
  const m = (
    await f.service.createMemory(
      { content, threadId: opts.threadId ?? "", topic: opts.topic ?? "", category: opts.category ?? "" },
      f.ctx(user),
    )
  ).memory!;
  if (opts.ageDays) {
    await f.sql`
      update memories set created_at = now() - make_interval(days => ${opts.ageDays}),
        updated_at = now() - make_interval(days => ${opts.ageDays})
      where id = ${m.id}`;
  }
  return m;
}
const LONG =
  "The quarterly planning meeting covered hiring. Budget for the new office was approved. " +
  "We also discussed the roadmap for next year in detail.";

describe("policies", () => {
  it("promotes, trims (keeps the original), summarizes per user/thread, expires; then has nothing to do", async () => {
    const alice = await f.newUser("alice");
    const bob = await f.newUser("bob");
    const fresh = await write(alice, "fresh note");
    const mid = await write(alice, "ten days old", { ageDays: 10 });
    const old = await write(alice, LONG, { ageDays: 40 });
    const ancient = await write(alice, "too old to keep", { ageDays: 61 });
    await write(alice, "expires soon");
    const expiring = (await f.service.listMemories({}, f.ctx(alice))).memories.find(
      (m) => m.content === "expires soon",
    )!;
    await f.service.updateMemory(
      { id: expiring.id, content: "expires soon, edited", updateMask: { paths: ["content"] } },
      f.ctx(alice),
    );
    await f.sql`update memories set expires_at = now() - interval '1 minute' where id = ${expiring.id}`;
    for (const user of [alice, bob])
      for (let i = 0; i < 3; i++)
        await write(user, `${user === alice ? "Alice" : "Bob"} said thing number ${i}.`, {
          threadId: "shared-thread-id",
        });

    const predicted = await run(true);
    const counts = await run();
    expect(counts).toEqual(predicted);
    expect(counts).toMatchObject({ "expire:1": 2, "promote:2": 1, "promote:3": 1, "trim:3": 1, "summarize:1": 2 });

    const get = async (id: string) => (await f.service.getMemory({ id }, f.ctx(alice))).memory!;
    expect((await get(fresh.id)).tier).toBe(MemoryTier.SHORT_TERM);
    expect((await get(mid.id)).tier).toBe(MemoryTier.MID_TERM);
    const trimmed = await get(old.id);
    expect(trimmed).toMatchObject({ tier: MemoryTier.LONG_TERM, summarized: true, version: 2 });
    expect([...trimmed.content].length).toBeLessThanOrEqual(80);
    expect(trimmed.content).toBe("The quarterly planning meeting covered hiring.…");
    const history = await f.service.getMemoryHistory({ id: old.id }, f.ctx(alice));
    expect(history.versions.map((v) => [v.content, v.reason])).toEqual([
      [LONG, "trim"],
      [trimmed.content, "current"],
    ]);

    for (const id of [ancient.id, expiring.id]) {
      const err = await get(id).catch((e: unknown) => ConnectError.from(e));
      expect((err as ConnectError).code).toBe(Code.NotFound);
    }
    const leftovers = await f.sql`
      select (select count(*) from memory_versions where memory_id = ${expiring.id})::int as v,
        (select count(*) from memory_terms where memory_id = ${expiring.id})::int as t`;
    expect(leftovers[0]).toEqual({ v: 0, t: 0 });

    // One summary per user for the same thread id, each made only of its owner's memories.
    const summaries = await f.sql<
      { user_id: string; id: string }[]
    >`select account_id as user_id, id from memories where is_summary`;
    expect(summaries.map((s) => s.user_id).sort()).toEqual([alice, bob].sort());
    const aliceSummary = (
      await f.service.getMemory({ id: summaries.find((s) => s.user_id === alice)!.id }, f.ctx(alice))
    ).memory!;
    expect(aliceSummary).toMatchObject({ isSummary: true, threadId: "shared-thread-id" });
    expect(aliceSummary.content).toContain("Alice said thing number 0.");
    expect(aliceSummary.content).not.toContain("Bob");
    const bobSummary = (await f.service.getMemory({ id: summaries.find((s) => s.user_id === bob)!.id }, f.ctx(bob)))
      .memory!;
    expect(bobSummary.content).not.toContain("Alice");

    expect(await run()).toEqual({});

    // The thread grows: its summary is rewritten, the previous one kept in history.
    await write(alice, "Alice said one more thing.", { threadId: "shared-thread-id" });
    expect(await run()).toEqual({ "summarize:1": 1 });
    const refreshed = await f.service.getMemoryHistory({ id: aliceSummary.id }, f.ctx(alice));
    expect(refreshed.versions.map((v) => v.reason)).toEqual(["summarize", "current"]);
    expect(refreshed.versions[1]!.content).toContain("Summary of 4 memories");
    expect((await f.sql`select count(*)::int as n from memories where is_summary`)[0]!.n).toBe(2);
  });

  it("dry run changes nothing", async () => {
    const u = await f.newUser();
    await write(u, LONG, { ageDays: 40 });
    for (let i = 0; i < 3; i++) await write(u, `thread item ${i}`, { threadId: "dry" });
    const before = await dumpAllTables(f.sql);
    const counts = await run(true);
    expect(Object.keys(counts).length).toBeGreaterThan(0);
    const after = await dumpAllTables(f.sql);
    expect(after.filter((t) => t.table !== "policy_lease")).toEqual(before.filter((t) => t.table !== "policy_lease"));
    await run(); // leave a clean state for the next test
  });

  it("two concurrent runs do not double-apply", async () => {
    const u = await f.newUser();
    const long = await write(u, LONG, { ageDays: 40 });
    for (let i = 0; i < 3; i++) await write(u, `concurrent item ${i}`, { threadId: "conc" });
    const expected = await run(true);
    const results = await Promise.allSettled([run(), run()]);
    const done = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    for (const r of results) if (r.status === "rejected") expect(ConnectError.from(r.reason).code).toBe(Code.Aborted);
    const total: Record<string, number> = {};
    for (const c of done) for (const [k, n] of Object.entries(c)) total[k] = (total[k] ?? 0) + n;
    expect(total).toEqual(expected);
    expect((await f.sql`select count(*)::int as n from memory_versions where memory_id = ${long.id}`)[0]!.n).toBe(1);
    expect((await f.sql`select count(*)::int as n from memories where account_id = ${u} and is_summary`)[0]!.n).toBe(1);
  });

  it("runs on a schedule", async () => {
    const u = await f.newUser();
    const m = await write(u, "scheduled promotion", { ageDays: 8 });
    await f.reopen({ MEMORIC_POLICY_INTERVAL_SECONDS: "1", MEMORIC_POLICY_MID_TERM_AFTER_DAYS: "7" });
    const job = startPolicyScheduler(f.app);
    try {
      const deadline = Date.now() + 10_000;
      let tier = 0;
      while (Date.now() < deadline && tier !== MemoryTier.MID_TERM) {
        await new Promise((r) => setTimeout(r, 200));
        tier = (await f.service.getMemory({ id: m.id }, f.ctx(u))).memory!.tier;
      }
      expect(tier).toBe(MemoryTier.MID_TERM);
    } finally {
      await job.stop();
      await f.reopen({
        MEMORIC_POLICY_MID_TERM_AFTER_DAYS: "7",
        MEMORIC_POLICY_LONG_TERM_AFTER_DAYS: "30",
        MEMORIC_POLICY_TRIM_ABOVE_CHARS: "80",
        MEMORIC_POLICY_SUMMARY_MIN_MEMORIES: "3",
        MEMORIC_RETENTION_SHORT_TERM_DAYS: "60",
      });
    }
  });
});

// The tier and retention rules live in SQL (store/policies.ts): pinned here at their boundaries.
describe("tiers and retention, as the policy run applies them", () => {
  const policyEnv = {
    MEMORIC_POLICY_MID_TERM_AFTER_DAYS: "7",
    MEMORIC_POLICY_LONG_TERM_AFTER_DAYS: "30",
    MEMORIC_POLICY_TRIM_ABOVE_CHARS: "80",
    MEMORIC_POLICY_SUMMARY_MIN_MEMORIES: "3",
  };
  /** A memory of the given tier whose created_at lies ageHours in the past. */
  async function aged(user: string, tier: number, ageHours: number) {
    const m = await write(user, `tier ${tier}, ${ageHours} hours old`);
    await f.sql`
      update memories set tier = ${tier}, created_at = now() - ${ageHours} * interval '1 hour' where id = ${m.id}`;
    return m.id;
  }

  it("advances tiers by age (mid after 7 days, long after 30), skipping mid when due, and never back", async () => {
    const u = await f.newUser();
    const cases: [ageDays: number, tier: number, expected: number][] = [
      [1, 1, 1],
      [6.9, 1, 1],
      [7, 1, 2],
      [29.9, 1, 2],
      [30, 1, 3],
      [40, 2, 3],
      [1, 2, 2],
      [1, 3, 3],
    ];
    const ids: string[] = [];
    for (const [days, tier] of cases) ids.push(await aged(u, tier, days * 24));
    await run();
    const rows = await f.sql<{ id: string; tier: number }[]>`select id, tier from memories where id = any(${ids})`;
    const tiers = new Map(rows.map((r) => [r.id, r.tier]));
    expect(cases.map(([days, tier], i) => [days, tier, tiers.get(ids[i]!)])).toEqual(cases);
  });

  it("deletes by per-tier retention (0 = forever), judged on the tier the memory had when the run began", async () => {
    await f.reopen({
      ...policyEnv,
      MEMORIC_RETENTION_SHORT_TERM_DAYS: "10",
      MEMORIC_RETENTION_MID_TERM_DAYS: "0",
      MEMORIC_RETENTION_LONG_TERM_DAYS: "365",
    });
    try {
      const u = await f.newUser();
      const cases: [ageDays: number, tier: number, kept: boolean][] = [
        [9, 1, true],
        [11, 1, false],
        [1000, 2, true],
        [364, 3, true],
        [366, 3, false],
      ];
      const ids: string[] = [];
      for (const [days, tier] of cases) ids.push(await aged(u, tier, days * 24));
      await run();
      const rows = await f.sql<{ id: string }[]>`select id from memories where id = any(${ids})`;
      const left = new Set(rows.map((r) => r.id));
      expect(cases.map(([days, tier], i) => [days, tier, left.has(ids[i]!)])).toEqual(cases);
    } finally {
      await f.reopen({ ...policyEnv, MEMORIC_RETENTION_SHORT_TERM_DAYS: "60" });
    }
  });
});

describe("clusters", () => {
  it("groups by topic and category with counts and a summary, rebuilt atomically, per user", async () => {
    const u = await f.newUser();
    const other = await f.newUser();
    await write(u, "Espresso in the morning. Strong.", { topic: "Coffee", category: "food" });
    await write(u, "Prefers a flat white.", { topic: "coffee", category: "food" });
    await write(u, "Standup at nine.", { topic: "meetings", category: "work" });
    await write(other, "Other user's coffee.", { topic: "coffee", category: "food" });
    expect((await f.service.rebuildClusters({}, f.ctx(u))).clusterCount).toBe(2);
    const clusters = (await f.service.listClusters({}, f.ctx(u))).clusters;
    expect(clusters.map((c) => [c.topic.toLowerCase(), c.category, c.memoryCount])).toEqual([
      ["coffee", "food", 2],
      ["meetings", "work", 1],
    ]);
    expect(clusters[0]!.summary).toMatch(/Espresso in the morning\.|Prefers a flat white\./);
    expect(clusters[0]!.summary).not.toContain("Other user");
    expect((await f.service.listClusters({ topic: "MEETINGS" }, f.ctx(u))).clusters.map((c) => c.memoryCount)).toEqual([
      1,
    ]);
    expect((await f.service.listClusters({}, f.ctx(other))).clusters).toEqual([]);

    await f.service.deleteMemories({ filter: { topic: "meetings" } }, f.ctx(u));
    await f.service.rebuildClusters({}, f.ctx(u));
    const rebuilt = (await f.service.listClusters({}, f.ctx(u))).clusters;
    expect(rebuilt.map((c) => c.memoryCount)).toEqual([2]);
    expect(rebuilt[0]!.id).not.toBe(clusters[0]!.id);
    const err = await f.service.listClusters({ limit: 501 }, f.ctx(u)).catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
  });
});

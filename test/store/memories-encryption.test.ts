/**
 * Spec: nobody with the database alone reads a word. A canary sentence written through every path
 * (create, update -> versions, policies -> summaries, clusters, search, export) is found in no table
 * (every column, bytea decoded too) and in no log line. Ciphertexts are bound to their row, version
 * and user; tampering is DataLoss with a generic message, never ciphertext handed back as text.
 * Encrypting the same text twice differs; another user's blind index values differ for equal terms.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyze } from "../../src/domain/text.js";
import { code, counterValue, dumpAllTables, openStoreFixture, type StoreFixture } from "./memories-fixture.js";

const CANARY = "Zebra quartz canary whispers marmalade";
const CANARY_WORDS = ["zebra", "quartz", "canary", "whispers", "marmalade"];

let f: StoreFixture;
let alice: string;
let bob: string;

beforeAll(async () => {
  f = await openStoreFixture({
    MEMORIC_POLICY_SUMMARY_MIN_MEMORIES: "2",
    MEMORIC_POLICY_TRIM_ABOVE_CHARS: "60",
    MEMORIC_POLICY_MID_TERM_AFTER_DAYS: "0",
  });
  alice = await f.newUser("alice");
  bob = await f.newUser("bob");
});
afterAll(async () => {
  await f?.close();
});

describe("canary", () => {
  it("appears in no table and no log line after every write path", async () => {
    const ctx = () => f.ctx(alice);
    const m = await f.service.createMemory(
      { content: CANARY, threadId: "thread-1", metadata: { note: CANARY }, idempotencyKey: CANARY },
      ctx(),
    );
    await f.service.createMemory(
      {
        content: `${CANARY} again, and this second sentence makes it long enough to be trimmed by policy.`,
        threadId: "thread-1",
        topic: "Zebra quartz",
      },
      ctx(),
    );
    await f.service.updateMemory(
      {
        id: m.memory!.id,
        content: `${CANARY} updated`,
        metadata: { note: `${CANARY} meta` },
        updateMask: { paths: ["content", "metadata"] },
      },
      ctx(),
    );
    await f.service.batchCreateMemories({ memories: [{ content: `${CANARY} batch`, threadId: "thread-1" }] }, ctx());
    await f.service.rebuildClusters({}, ctx());
    const found = await f.service.searchMemories({ query: "zebra marmalade", explain: true }, ctx());
    expect(found.results[0]!.memory!.content).toContain("Zebra quartz");
    const run = await f.service.runPolicies({}, f.ctx(alice, ["ADMIN"]));
    const actions = run.counts.map((c) => c.action);
    expect(actions).toContain("summarize");
    expect(actions).toContain("trim");
    for await (const _ of f.service.exportMemories({}, ctx())) void _;
    await f.service.getContext({ query: "zebra", threadId: "thread-1" }, ctx());

    const dump = await dumpAllTables(f.sql);
    expect(dump.map((d) => d.table)).toEqual(
      expect.arrayContaining(["memories", "memory_versions", "memory_terms", "memory_clusters", "owners"]),
    );
    for (const { table, text } of dump) {
      const lower = text.toLowerCase();
      for (const w of CANARY_WORDS) expect(lower.includes(w), `"${w}" in ${table}`).toBe(false);
    }
    const logs = f.logs.join("\n").toLowerCase();
    for (const w of CANARY_WORDS) expect(logs.includes(w), `"${w}" in logs`).toBe(false);
  });
});

describe("ciphertext binding and tampering", () => {
  async function twoMemories(user: string) {
    const a = (await f.service.createMemory({ content: "first private note" }, f.ctx(user))).memory!;
    const b = (await f.service.createMemory({ content: "second private note" }, f.ctx(user))).memory!;
    return [a, b] as const;
  }

  it("encrypts the same text twice to different bytes", async () => {
    const [a] = await twoMemories(alice);
    const c = (await f.service.createMemory({ content: "first private note" }, f.ctx(alice))).memory!;
    const rows = await f.sql<{ content_ct: Buffer }[]>`select content_ct from memories where id in (${a.id}, ${c.id})`;
    expect(rows).toHaveLength(2);
    expect(rows[0]!.content_ct.equals(rows[1]!.content_ct)).toBe(false);
  });

  it("fails with DataLoss when a ciphertext is moved to another row of the same user", async () => {
    const [a, b] = await twoMemories(alice);
    await f.sql`
      update memories set content_ct = (select content_ct from memories where id = ${a.id}) where id = ${b.id}`;
    const before = (await counterValue(f, "memoric_decryption_failures_total", { what: "memory" })) ?? 0;
    expect(await code(f.service.getMemory({ id: b.id }, f.ctx(alice)))).toBe(Code.DataLoss);
    expect(await counterValue(f, "memoric_decryption_failures_total", { what: "memory" })).toBe(before + 1);
    expect(await code(f.service.getMemory({ id: a.id }, f.ctx(alice)))).toBeUndefined();
  });

  it("fails with DataLoss when a ciphertext is moved to another user's row", async () => {
    const [a] = await twoMemories(alice);
    const [, bb] = await twoMemories(bob);
    await f.sql`
      update memories set content_ct = (select content_ct from memories where id = ${a.id}) where id = ${bb.id}`;
    expect(await code(f.service.getMemory({ id: bb.id }, f.ctx(bob)))).toBe(Code.DataLoss);
  });

  it("fails with DataLoss when an old version's ciphertext is put back as current (rollback)", async () => {
    const [a] = await twoMemories(alice);
    await f.service.updateMemory({ id: a.id, content: "changed", updateMask: { paths: ["content"] } }, f.ctx(alice));
    await f.sql`
      update memories
      set content_ct = (select content_ct from memory_versions where memory_id = ${a.id} and version = 1)
      where id = ${a.id}`;
    expect(await code(f.service.getMemory({ id: a.id }, f.ctx(alice)))).toBe(Code.DataLoss);
  });

  it("fails with DataLoss when one byte is flipped, and logs no ciphertext", async () => {
    const [, b] = await twoMemories(alice);
    const [row] = await f.sql<{ metadata_ct: Buffer }[]>`select metadata_ct from memories where id = ${b.id}`;
    const flipped = Buffer.from(row!.metadata_ct);
    flipped[flipped.length - 3] = flipped[flipped.length - 3]! ^ 0x01;
    await f.sql`update memories set metadata_ct = ${flipped} where id = ${b.id}`;
    const err = await f.service.getMemory({ id: b.id }, f.ctx(alice)).catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.DataLoss);
    expect((err as ConnectError).rawMessage).toBe("stored data could not be decrypted");
    const line = f.logs.find((l) => l.includes("failed to decrypt") && l.includes(alice));
    expect(line).toBeDefined();
    expect(line).not.toContain(flipped.toString("hex").slice(10, 40));
    expect(line).not.toContain(flipped.toString("base64").slice(10, 40));
  });

  it("never hands back ciphertext as text when the encrypted flag is flipped", async () => {
    const [a] = await twoMemories(alice);
    await f.sql`update memories set encrypted = false where id = ${a.id}`;
    expect(await code(f.service.getMemory({ id: a.id }, f.ctx(alice)))).toBe(Code.DataLoss);
  });
});

describe("blind index", () => {
  it("stores no term in clear and gives two users different hashes for the same words", async () => {
    const text = "orchid telescope lantern";
    const a = (await f.service.createMemory({ content: text }, f.ctx(alice))).memory!;
    const b = (await f.service.createMemory({ content: text }, f.ctx(bob))).memory!;
    const terms = async (id: string) =>
      (
        await f.sql<{ h: string }[]>`select term_hash::text as h from memory_terms where memory_id = ${id} order by 1`
      ).map((r) => r.h);
    const ta = await terms(a.id);
    const tb = await terms(b.id);
    expect(ta).toHaveLength(analyze(text).terms.size);
    expect(tb).toHaveLength(ta.length);
    expect(ta.filter((h) => tb.includes(h))).toEqual([]);
    // Bob searching alice's words finds only his own memory.
    const res = await f.service.searchMemories({ query: text }, f.ctx(bob));
    expect(res.results.map((r) => r.memory!.id)).toEqual([b.id]);
  });
});

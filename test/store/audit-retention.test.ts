// Checkpoints and retention: retention removes only whole, checkpointed, old prefixes, records them
// in a signed checkpoint, and verification still passes afterwards.
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { verifyCheckpointSignature } from "../../src/domain/audit-chain.js";
import { pruneAuditLog, writeCheckpoint } from "../../src/store/audit-checkpoints.js";
import { createAuditWriter, type SystemActor } from "../../src/store/audit-log.js";
import { loadCheckpoints, verifyAuditLog } from "../../src/store/audit-verify.js";
import { inTx, SYSTEM } from "../../src/store/tx.js";
import { openAuditTestDb, tamper, type AuditTestDb } from "./audit-hooks.js";

const KEY = Buffer.alloc(32, 3);
const DAY = 86_400_000;
let t: AuditTestDb | undefined;
let clock: Date;

// One shard: the prefix semantics are then easy to state row by row.
const writer = () => createAuditWriter({ sql: t!.sql, config: { enabled: true, shards: 1 }, now: () => clock });
const actor: SystemActor = { system: "test" };
const append = async (n: number) => {
  for (let i = 0; i < n; i++)
    await writer().recordStandalone(actor, { type: "policy.executed", success: true, details: { i } });
};
const seqs = async () =>
  (await t!.sql<{ seq: string }[]>`select seq from audit_log order by seq`).map((r) => Number(r.seq));
const verify = () => verifyAuditLog(t!.sql, SYSTEM, KEY);
const prune = (days = 30) => pruneAuditLog(t!.sql, KEY, { retentionDays: days });

beforeEach(async () => {
  await t?.close();
  t = await openAuditTestDb();
  clock = new Date(Date.now() - 40 * DAY);
});
afterAll(async () => t?.close());

describe("checkpoints", () => {
  it("are signed, cover every non-empty shard, and are written even when nothing changed", async () => {
    await append(3);
    const a = await writeCheckpoint(t!.sql, KEY);
    const b = await writeCheckpoint(t!.sql, KEY);
    const stored = await inTx(t!.sql, SYSTEM, loadCheckpoints);
    expect(stored).toHaveLength(2);
    expect(stored.map((c) => c.id)).toEqual([a!.id, b!.id]);
    for (const c of stored) expect(verifyCheckpointSignature(c, KEY)).toBe(true);
    expect(stored[1]!.heads).toEqual([{ shard: 0, seq: 3, hash: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
  });

  it("a replica skips its tick when another wrote one within minIntervalMs", async () => {
    expect(await writeCheckpoint(t!.sql, KEY, { minIntervalMs: 60_000 })).not.toBeNull();
    expect(await writeCheckpoint(t!.sql, KEY, { minIntervalMs: 60_000 })).toBeNull();
    expect(
      await writeCheckpoint(t!.sql, KEY, { minIntervalMs: 60_000, now: new Date(Date.now() + 61_000) }),
    ).not.toBeNull();
  });
});

describe("retention", () => {
  it("deletes the old, checkpointed prefix only, and the chain still verifies", async () => {
    await append(10); // 40 days old
    clock = new Date();
    await append(5); // fresh
    await writeCheckpoint(t!.sql, KEY);
    const r = await prune();
    expect(r).toMatchObject({ deleted: 10, skipped: [], pruned: [{ shard: 0, seq: 10 }] });
    expect(r.checkpoint?.prunedThrough).toEqual([{ shard: 0, seq: 10, hash: expect.any(String) }]);
    expect(await seqs()).toEqual([11, 12, 13, 14, 15]);
    expect(await verify()).toMatchObject({ ok: true, checked: 5, checkpointsVerified: 2 });
    // Idempotent, and the chain keeps growing and verifying.
    expect((await prune()).deleted).toBe(0);
    await append(2);
    await writeCheckpoint(t!.sql, KEY);
    expect(await verify()).toMatchObject({ ok: true, checked: 7 });
  });

  it("never deletes rows the latest checkpoint does not cover", async () => {
    await append(4);
    await writeCheckpoint(t!.sql, KEY);
    await append(3); // old as well, but written after the checkpoint
    const r = await prune();
    expect(r.deleted).toBe(4);
    expect(await seqs()).toEqual([5, 6, 7]);
    expect((await verify()).ok).toBe(true);
    // The retention run's own checkpoint now covers 5..7, so the next run may take them.
    expect((await prune()).deleted).toBe(3);
    expect(await seqs()).toEqual([]);
    expect(await verify()).toMatchObject({ ok: true, checked: 0 });
    await append(1);
    expect(await seqs()).toEqual([8]);
    expect((await verify()).ok).toBe(true);
  });

  it("deletes a prefix, never around a newer row (clock skew between replicas)", async () => {
    await append(2);
    clock = new Date();
    await append(1);
    clock = new Date(Date.now() - 40 * DAY);
    await append(2); // old timestamps after a fresh one
    await writeCheckpoint(t!.sql, KEY);
    expect((await prune()).deleted).toBe(2);
    expect(await seqs()).toEqual([3, 4, 5]);
    expect((await verify()).ok).toBe(true);
  });

  it("does nothing without a checkpoint, or when nothing is old enough", async () => {
    await append(3);
    expect(await prune()).toMatchObject({ deleted: 0, checkpoint: null });
    await writeCheckpoint(t!.sql, KEY);
    expect((await prune(365)).deleted).toBe(0);
  });

  it("keeps a prefix whose hashes do not check out (evidence is not laundered)", async () => {
    await append(5);
    await writeCheckpoint(t!.sql, KEY);
    await tamper(t!.sql, (tx) => tx`update audit_log set code = 'edited' where seq = 2`);
    expect(await prune()).toMatchObject({ deleted: 0, skipped: [0] });
    expect((await verify()).firstBad).toMatchObject({ seq: 2, reason: "modified" });
  });
});

// Production rarely connects as a superuser: the owner is then subject to FORCEd row-level
// security, and retention must still be able to delete (0003's audit_log_retention policy).
describe.skipIf(!process.env.DATABASE_URL)("retention as a non-superuser owner (postgres)", () => {
  it("prunes and verifies", async () => {
    const { default: postgres } = await import("postgres");
    const { migrate } = await import("../../src/store/migrate.js");
    const { createLogger } = await import("../../src/logger.js");
    const suffix = Math.random().toString(36).slice(2, 8);
    const role = `memoric_owner_${suffix}`;
    const dbName = `memoric_test_owner_${suffix}`;
    const admin = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create role ${role} login nosuperuser nobypassrls createrole`);
    await admin.unsafe(`create database ${dbName} owner ${role}`);
    const url = new URL(process.env.DATABASE_URL!);
    url.username = role;
    url.pathname = `/${dbName}`;
    const sql = postgres(url.toString(), { max: 2, onnotice: () => {} });
    try {
      await migrate(sql, createLogger("silent"));
      const [who] = await sql<{ su: boolean }[]>`select rolsuper as su from pg_roles where rolname = current_user`;
      expect(who!.su).toBe(false);
      clock = new Date(Date.now() - 40 * DAY);
      const w = createAuditWriter({ sql, config: { enabled: true, shards: 1 }, now: () => clock });
      for (let i = 0; i < 3; i++) await w.recordStandalone(actor, { type: "policy.executed", success: true });
      await writeCheckpoint(sql, KEY);
      expect((await pruneAuditLog(sql, KEY, { retentionDays: 30 })).deleted).toBe(3);
      expect(await verifyAuditLog(sql, SYSTEM, KEY)).toMatchObject({ ok: true, checked: 0 });
      // ...and outside retention the owner still deletes nothing: RLS matches no row, the trigger stops TRUNCATE.
      expect((await sql`delete from audit_checkpoints`).count).toBe(0);
      await expect(sql`truncate audit_checkpoints`).rejects.toThrow(/append-only/);
    } finally {
      await sql.end();
      await admin.unsafe(`drop database if exists ${dbName} with (force)`);
      await admin.unsafe(`drop role if exists ${role}`);
      await admin.end();
    }
  });
});

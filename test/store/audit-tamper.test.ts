// Tamper evidence: as superuser with the append-only trigger bypassed (SET LOCAL
// session_replication_role = replica, see audit-hooks.ts), each kind of tampering makes the verifier
// report exactly the affected row and the reason. Every case starts from the same intact log.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { chainHash } from "../../src/domain/audit-chain.js";
import type { CallInfo } from "../../src/interceptors/call-context.js";
import { writeCheckpoint } from "../../src/store/audit-checkpoints.js";
import { createAuditWriter } from "../../src/store/audit-log.js";
import { AUDIT_COLUMNS, rowToRecord, verifyAuditLog, type AuditRow } from "../../src/store/audit-verify.js";
import { SYSTEM } from "../../src/store/tx.js";
import { openAuditTestDb, tamper, type AuditTestDb } from "./audit-hooks.js";

const KEY = Buffer.alloc(32, 9);
let t: AuditTestDb;
let target: number; // the shard we tamper with
let rows: AuditRow[]; // its rows, by seq

const call = (i: number): CallInfo => ({
  principal: {
    type: "user",
    userId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    username: "u",
    roles: ["USER"],
    permissions: new Set(),
    sessionId: "s",
    credentialId: "c",
  },
  requestId: `req-${i}`,
  clientAddress: "10.0.0.1",
  userAgent: "vitest",
  service: "memoric.v1.MemoryService",
  method: "GetMemory",
});

const verify = () => verifyAuditLog(t.sql, SYSTEM, KEY, { batchSize: 5 });
const cols = () => t.sql(AUDIT_COLUMNS as unknown as string[]);

beforeAll(async () => {
  t = await openAuditTestDb();
  const writer = createAuditWriter({ sql: t.sql, config: { enabled: true, shards: 4 } });
  for (let i = 0; i < 48; i++)
    await writer.recordStandalone(call(i % 6), { type: "memory.retrieved", success: true, resourceId: `m${i}` });
  await writeCheckpoint(t.sql, KEY);
  const [big] = await t.sql<
    { shard: number }[]
  >`select shard from audit_log group by shard order by count(*) desc limit 1`;
  target = big!.shard;
  rows = await t.sql<AuditRow[]>`select ${cols()} from audit_log where shard = ${target} order by seq`;
  expect(rows.length).toBeGreaterThanOrEqual(8);
  await t.sql`create table audit_backup as select * from audit_log`;
  await t.sql`create table audit_cp_backup as select * from audit_checkpoints`;
});
afterAll(async () => t?.close());

beforeEach(async () => {
  await tamper(t.sql, async (tx) => {
    await tx`delete from audit_log`;
    await tx`insert into audit_log select * from audit_backup`;
    await tx`delete from audit_checkpoints`;
    await tx`insert into audit_checkpoints select * from audit_cp_backup`;
  });
  expect(await verify()).toMatchObject({ ok: true, checked: 48, checkpointsVerified: 1 });
});

const at = (seq: number) => rows[seq - 1]!;

describe("VerifyAuditChain finds the first bad row", () => {
  it("the trigger really is what stops the owner (and replica mode is what bypasses it)", async () => {
    await expect(t.sql`update audit_log set code = 'x' where shard = ${target} and seq = 1`).rejects.toThrow(
      /append-only/,
    );
  });

  it("an edited row → modified, at that row", async () => {
    await tamper(
      t.sql,
      (tx) => tx`update audit_log set error_message = 'nothing to see' where shard = ${target} and seq = 5`,
    );
    expect(await verify()).toMatchObject({
      ok: false,
      firstBad: { shard: target, seq: 5, id: at(5).id, reason: "modified" },
    });
  });

  it("an edited event type or details → modified", async () => {
    await tamper(
      t.sql,
      (tx) => tx`update audit_log set details = '{"resource": "other"}' where shard = ${target} and seq = 3`,
    );
    expect((await verify()).firstBad).toEqual({ shard: target, seq: 3, id: at(3).id, reason: "modified" });
  });

  it("a deleted middle row → missing, at its seq", async () => {
    await tamper(t.sql, (tx) => tx`delete from audit_log where shard = ${target} and seq = 5`);
    expect((await verify()).firstBad).toEqual({ shard: target, seq: 5, id: null, reason: "missing" });
  });

  it("two rows swapped (contents exchanged, seqs kept) → reordered, at the first of them", async () => {
    const a = at(4);
    const b = at(6);
    await tamper(t.sql, async (tx) => {
      await tx`delete from audit_log where shard = ${target} and seq in (4, 6)`;
      await tx`insert into audit_log ${tx({ ...b, seq: a.seq } as never, AUDIT_COLUMNS as unknown as string[])}`;
      await tx`insert into audit_log ${tx({ ...a, seq: b.seq } as never, AUDIT_COLUMNS as unknown as string[])}`;
    });
    expect((await verify()).firstBad).toEqual({ shard: target, seq: 4, id: b.id, reason: "reordered" });
  });

  it("the newest rows deleted past a checkpoint → truncated, at the first missing seq", async () => {
    const n = rows.length;
    await tamper(t.sql, (tx) => tx`delete from audit_log where shard = ${target} and seq >= ${n - 1}`);
    expect((await verify()).firstBad).toEqual({ shard: target, seq: n - 1, id: null, reason: "truncated" });
  });

  it("a rewritten tail with recomputed hashes still contradicts the signed checkpoint", async () => {
    await tamper(t.sql, async (tx) => {
      let prev = at(5).prev_hash;
      for (let seq = 5; seq <= rows.length; seq++) {
        const r = {
          ...rowToRecord(at(seq)),
          prevHash: prev,
          errorMessage: seq === 5 ? "rewritten" : at(seq).error_message,
        };
        const hash = chainHash(prev, r);
        await tx`
          update audit_log set error_message = ${r.errorMessage}, prev_hash = ${prev}, hash = ${hash}
          where shard = ${target} and seq = ${seq}`;
        prev = hash;
      }
    });
    expect((await verify()).firstBad).toMatchObject({ shard: target, seq: rows.length, reason: "modified" });
  });

  it("a forged checkpoint → bad_checkpoint", async () => {
    await tamper(t.sql, (tx) => tx`update audit_checkpoints set heads = '[]'`);
    expect((await verify()).firstBad).toMatchObject({ shard: -1, seq: -1, reason: "bad_checkpoint" });
  });
});

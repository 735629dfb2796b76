/**
 * The audit trail's maintenance writes: signed checkpoints of every shard head, and retention
 * (per shard, deletes the prefix that is older than retentionDays AND covered by the latest
 * checkpoint, then signs a checkpoint recording what was removed). Replicas coordinate through one
 * transaction-level advisory lock, so one writes at a time. Scheduled by jobs/audit-jobs.ts.
 */
import type postgres from "postgres";
import {
  chainHash,
  GENESIS_HASH,
  signCheckpoint,
  type AuditRecord,
  type ChainHead,
  type Checkpoint,
} from "../domain/audit-chain.js";
import { admitted } from "./admission.js";
import { AUDIT_COLUMNS, rowToRecord, type AuditRow } from "./audit-verify.js";
import type { Sql } from "./database.js";
import { APP_ROLE, inTx, SYSTEM, toConnectError, type Tx } from "./tx.js";

/** Shared by every replica: serializes checkpoint and retention writers. */
const AUDIT_JOB_LOCK_KEY = 0x61756474; // "audt"
const DAY_MS = 86_400_000;

type HeadRow = { shard: number; seq: string; hash: string };
const toHead = (r: HeadRow): ChainHead => ({ shard: r.shard, seq: Number(r.seq), hash: r.hash });

async function currentHeads(tx: Tx): Promise<ChainHead[]> {
  return (await tx<HeadRow[]>`select shard, seq, hash from audit_heads where seq > 0 order by shard`).map(toHead);
}

/** Per shard, the highest prunedThrough any checkpoint recorded (retention is cumulative). */
async function prunedSoFar(tx: Tx): Promise<Map<number, ChainHead>> {
  const rows = await tx<HeadRow[]>`
    select distinct on (shard) shard, seq, hash from (
      select (e->>'shard')::int as shard, (e->>'seq')::bigint as seq, e->>'hash' as hash
      from audit_checkpoints c, jsonb_array_elements(coalesce(c.pruned_through, '[]'::jsonb)) e
    ) p order by shard, seq desc`;
  return new Map(rows.map((r) => [r.shard, toHead(r)]));
}

async function insertCheckpoint(tx: Tx, key: Buffer, time: Date, prunedThrough?: ChainHead[]): Promise<Checkpoint> {
  // The id is part of the signed bytes, so take it before the insert.
  const [row] = await tx<{ id: string }[]>`select nextval('audit_checkpoints_id_seq')::text as id`;
  const id = row!.id;
  const cp = signCheckpoint(
    { id, time, heads: await currentHeads(tx), ...(prunedThrough?.length ? { prunedThrough } : {}) },
    key,
  );
  await tx`insert into audit_checkpoints (id, time, heads, pruned_through, signature)
           values (${id}, ${cp.time}, ${tx.json(cp.heads as unknown as postgres.JSONValue)},
                   ${cp.prunedThrough ? tx.json(cp.prunedThrough as unknown as postgres.JSONValue) : null},
                   ${cp.signature})`;
  return cp;
}

export interface CheckpointOptions {
  now?: Date;
  /** Skip when the newest checkpoint is younger than this (another replica just wrote one). */
  minIntervalMs?: number;
}

/** Writes one signed checkpoint of all heads as memoric_app in system context; null when skipped. */
export async function writeCheckpoint(
  sql: Sql,
  key: Buffer,
  options: CheckpointOptions = {},
): Promise<Checkpoint | null> {
  const now = options.now ?? new Date();
  return inTx(sql, SYSTEM, async (tx) => {
    const [lock] = await tx<{ ok: boolean }[]>`select pg_try_advisory_xact_lock(${AUDIT_JOB_LOCK_KEY}) as ok`;
    if (!lock?.ok) return null; // another replica is writing right now
    if (options.minIntervalMs) {
      const [last] = await tx<{ time: Date }[]>`select time from audit_checkpoints order by id desc limit 1`;
      if (last && now.getTime() - last.time.getTime() < options.minIntervalMs) return null;
    }
    return insertCheckpoint(tx, key, now);
  });
}

export interface RetentionResult {
  /** Shards pruned by this run, with the last removed row of each. */
  pruned: ChainHead[];
  deleted: number;
  /** Shards whose prefix failed its hash check and were left alone (evidence is kept). */
  skipped: number[];
  checkpoint: Checkpoint | null;
}

/** Recomputes rows (from, through] of one shard: the last row, or null if any link, hash or seq is off. */
async function segmentIntact(
  tx: Tx,
  shard: number,
  from: ChainHead | undefined,
  through: number,
): Promise<AuditRecord | null> {
  let prev = from?.hash ?? GENESIS_HASH;
  let expect = (from?.seq ?? 0) + 1;
  let last: AuditRecord | null = null;
  const cursor = tx<AuditRow[]>`select ${tx(AUDIT_COLUMNS as unknown as string[])} from audit_log
    where shard = ${shard} and seq > ${from?.seq ?? 0} and seq <= ${through} order by seq`.cursor(500);
  for await (const batch of cursor) {
    for (const row of batch) {
      const r = rowToRecord(row);
      if (r.seq !== expect || r.prevHash !== prev || chainHash(r.prevHash, r) !== r.hash) return null;
      prev = r.hash;
      expect++;
      last = r;
    }
  }
  return last?.seq === through ? last : null;
}

/**
 * Deletes, per shard, rows 1..P where P = min(the latest checkpoint's head, the last row before the
 * first one newer than the cutoff): a whole, checkpointed, old prefix. Runs as the connecting role
 * (the table owner; memoric_app has no DELETE) with app.audit_retention = 'on' for the trigger.
 * The prefix is re-hashed first: retention must not launder a tampered row into a clean anchor.
 */
export async function pruneAuditLog(
  sql: Sql,
  key: Buffer,
  options: { retentionDays: number; now?: Date },
): Promise<RetentionResult> {
  const now = options.now ?? new Date();
  const cutoff = new Date(now.getTime() - options.retentionDays * DAY_MS);
  try {
    return (await admitted(sql, undefined, undefined, () =>
      sql.begin(async (tx) => {
        await tx`select set_config('app.audit_retention', 'on', true), set_config('app.system', 'on', true),
                      set_config('app.admin', '', true), set_config('app.user_id', '', true)`;
        await tx`select pg_advisory_xact_lock(${AUDIT_JOB_LOCK_KEY})`;
        const [latest] = await tx<
          { heads: ChainHead[] }[]
        >`select heads from audit_checkpoints order by id desc limit 1`;
        const result: RetentionResult = { pruned: [], deleted: 0, skipped: [], checkpoint: null };
        if (!latest) return result;
        const before = await prunedSoFar(tx);
        for (const head of latest.heads) {
          const [first] = await tx<{ seq: string | null }[]>`select min(seq) as seq from audit_log
          where shard = ${head.shard} and seq <= ${head.seq} and time >= ${cutoff}`;
          const through = first?.seq != null ? Number(first.seq) - 1 : head.seq;
          const from = before.get(head.shard);
          if (through <= (from?.seq ?? 0)) continue;
          const last = await segmentIntact(tx, head.shard, from, through);
          if (!last) {
            result.skipped.push(head.shard);
            continue;
          }
          const deleted = await tx`delete from audit_log where shard = ${head.shard} and seq <= ${through}`;
          result.deleted += deleted.count;
          result.pruned.push({ shard: head.shard, seq: through, hash: last.hash });
        }
        if (result.pruned.length === 0) return result;
        for (const p of result.pruned) before.set(p.shard, p);
        // Back to the application role for the write, like every other checkpoint.
        await tx`select set_config('role', ${APP_ROLE}, true)`;
        result.checkpoint = await insertCheckpoint(tx, key, now, [...before.values()]);
        return result;
      }),
    )) as RetentionResult;
  } catch (err) {
    throw toConnectError(err);
  }
}

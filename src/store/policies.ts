/**
 * The memory policies, run for every user: expiry (expires_at or per-tier retention)
 * deletes rows with their terms and versions; tiers advance by age; long memories in mid/long tiers
 * are trimmed and threads with enough memories get one summary memory per (user, thread) — both
 * non-destructive (the previous state stays in memory_versions).
 *
 * One runner at a time across replicas: a lease row (policy_lease) is taken at the start, and every
 * per-user transaction renews it under a row lock, so a competing runner cannot interleave; each
 * action is also state-based (a trimmed memory is no longer "long and not summarized", a summary is
 * newer than its thread), so nothing is applied twice even across runs.
 *
 * dry_run runs exactly the same code and rolls every transaction back: its counts are what a real
 * run would have done, and it cannot change anything.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { randomUUID } from "node:crypto";
import { ChatRole } from "../../gen/memoric/v1/memory_pb.js";
import { PolicyCounts, summarizeThread, trimText, TIER } from "../domain/policies.js";
import type { DataKey } from "../security/crypto.js";
import type { Actor } from "./audit-log.js";
import type { MemoryStoreDeps, PolicyRunDeps } from "./memory-deps.js";
import { memoryColumns, openRow, uuidv7, withDataKey, type MemoryRow } from "./memory-rows.js";
import { rewriteMemory } from "./memory-update.js";
import { dropTerms, insertPrepared, prepareMemory } from "./memory-write.js";
import { bumpIfVectors, planVector, vectorSettings } from "./memory-vectors.js";
import { moveStats } from "./memory-stats.js";
import type { Owner } from "./owner.js";
import { inTx, SYSTEM, type Tx, type TxOptions } from "./tx.js";
import { keyedOwners } from "./keyed-owners.js";

const LEASE_SECONDS = 300;
/** Per user and run, so one transaction stays bounded; the rest waits for the next run. */
const MAX_TRIMS_PER_USER = 200;
const MAX_SUMMARIES_PER_USER = 50;
const MAX_THREAD_MEMBERS = 200;
const USER_PAGE = 200;

export interface PolicyRunResult {
  dryRun: boolean;
  counts: PolicyCounts;
  users: number;
  durationMs: number;
}

interface RunOptions {
  dryRun: boolean;
  /** The RunPolicies call the run serves; none for the scheduler. */
  txOptions?: TxOptions;
}

class Rollback extends Error {}
class LeaseLost extends Error {}

function policyBusy(): ConnectError {
  return new ConnectError("another policy run is in progress, retry later", Code.Aborted);
}

export async function runPolicies(deps: PolicyRunDeps, actor: Actor, opts: RunOptions): Promise<PolicyRunResult> {
  const started = performance.now();
  try {
    const result = await runPoliciesOnce(deps, actor, opts);
    deps.metrics?.policyRan(opts.dryRun ? "dry_run" : "ok", result.durationMs / 1000);
    return result;
  } catch (err) {
    if (err instanceof ConnectError && err.code === Code.Aborted) deps.metrics?.policyRan("busy");
    else deps.metrics?.policyRan("failed", (performance.now() - started) / 1000);
    throw err;
  }
}

async function runPoliciesOnce(deps: PolicyRunDeps, actor: Actor, opts: RunOptions) {
  const started = performance.now();
  const me = randomUUID();
  const acquired = await inTx(
    deps.db.sql,
    SYSTEM,
    (tx) => tx`
    update policy_lease
       set holder = ${me}, expires_at = now() + make_interval(secs => ${LEASE_SECONDS}), last_started_at = now()
    where id and (holder is null or expires_at < now()) returning id`,
    opts.txOptions,
  );
  if (acquired.length === 0) throw policyBusy();
  const counts = new PolicyCounts();
  let users = 0;
  try {
    for await (const row of keyedOwners(deps.db.sql, USER_PAGE, opts.txOptions)) {
      counts.merge(await runForUser(deps, actor, me, { accountId: row.account_id, ownerId: row.owner_id }, opts));
      users++;
    }
  } catch (err) {
    if (err instanceof LeaseLost) throw policyBusy();
    throw err;
  } finally {
    await inTx(
      deps.db.sql,
      SYSTEM,
      (tx) => tx`
      update policy_lease set holder = null, expires_at = '-infinity', last_finished_at = now() where holder = ${me}`,
      opts.txOptions,
    ).catch(() => undefined);
  }
  return { dryRun: opts.dryRun, counts, users, durationMs: performance.now() - started };
}

async function runForUser(
  deps: PolicyRunDeps,
  actor: Actor,
  me: string,
  owner: Owner,
  { dryRun, txOptions }: RunOptions,
): Promise<PolicyCounts> {
  // Declared outside the transaction: a rolled-back (dry-run) transaction returns no value.
  const counts = new PolicyCounts();
  try {
    await inTx(
      deps.db.sql,
      SYSTEM,
      async (tx) => {
        const held = await tx`update policy_lease set expires_at = now() + make_interval(secs => ${LEASE_SECONDS})
                 where holder = ${me} returning id`;
        if (held.length === 0) throw new LeaseLost();
        await expire(deps, tx, owner, counts);
        await promote(deps, tx, owner, counts);
        const key = await deps.keys.load(tx, owner.ownerId);
        if (key) {
          await trim(deps, tx, key, owner, counts);
          await summarize(deps, tx, key, owner, counts);
        }
        if (dryRun) throw new Rollback();
        if (counts.total() > 0) {
          await deps.audit.record(tx, actor, {
            type: "policy.executed",
            success: true,
            resourceType: owner.ownerId === owner.accountId ? "user" : "end_user",
            resourceId: owner.ownerId,
            details: { counts: counts.list() },
          });
        }
      },
      txOptions,
    );
  } catch (err) {
    if (!(err instanceof Rollback)) throw err;
  }
  return counts;
}

async function expire(deps: MemoryStoreDeps, tx: Tx, owner: Owner, counts: PolicyCounts): Promise<void> {
  const p = deps.config.memory.policies;
  const rows = await tx<{ tier: number; n: number }[]>`
    with gone as (
      delete from memories where owner_id = ${owner.ownerId} and (
        (expires_at is not null and expires_at <= now())
        or (tier = 1 and ${p.shortTermRetentionDays}::int > 0
            and created_at < now() - make_interval(days => ${p.shortTermRetentionDays}))
        or (tier = 2 and ${p.midTermRetentionDays}::int > 0
            and created_at < now() - make_interval(days => ${p.midTermRetentionDays}))
        or (tier = 3 and ${p.longTermRetentionDays}::int > 0
            and created_at < now() - make_interval(days => ${p.longTermRetentionDays}))
      ) returning id, tier, doc_len, term_hashes
    ), terms as (${dropTerms(tx, owner, tx`select id, term_hashes from gone`)}),
    stats as (${moveStats(tx, owner, tx`select id, -doc_len, -1 from gone`)}),
    vbump as (${bumpIfVectors(tx, owner, tx`select 1 from gone`)})
    select tier, count(*)::int as n from gone group by tier`;
  for (const r of rows) counts.add("expire", r.tier, r.n);
}

async function promote(deps: MemoryStoreDeps, tx: Tx, owner: Owner, counts: PolicyCounts): Promise<void> {
  const p = deps.config.memory.policies;
  // Tiers only advance, and promotion is not an edit: updated_at (recency) is left alone.
  const rows = await tx<{ tier: number; n: number }[]>`
    with moved as (
      update memories
      set tier = case when created_at <= now() - make_interval(days => ${p.longTermAfterDays}) then 3 else 2 end
      where owner_id = ${owner.ownerId} and (
        (tier < 3 and created_at <= now() - make_interval(days => ${p.longTermAfterDays}))
        or (tier < 2 and created_at <= now() - make_interval(days => ${p.midTermAfterDays}))
      ) returning tier
    ) select tier, count(*)::int as n from moved group by tier`;
  for (const r of rows) counts.add("promote", r.tier, r.n);
}

async function trim(deps: MemoryStoreDeps, tx: Tx, key: DataKey, owner: Owner, counts: PolicyCounts): Promise<void> {
  const limit = deps.config.memory.policies.trimAboveChars;
  const rows = await tx<{ id: string; tier: number }[]>`
    select id, tier from memories
    where owner_id = ${owner.ownerId} and tier >= ${TIER.mid} and content_chars > ${limit}
      and not summarized and not is_summary
    order by id limit ${MAX_TRIMS_PER_USER}`;
  for (const r of rows) {
    const [m] = await tx<
      MemoryRow[]
    >`select ${memoryColumns(tx)} from memories m where m.owner_id = ${owner.ownerId} and m.id = ${r.id}`;
    if (!m) continue;
    const cur = await withDataKey(tx, deps.keys, deps.logger, owner.ownerId, "memory", (k) => openRow(k, m));
    const shorter = trimText(cur.content, limit);
    if (shorter === cur.content) continue;
    await rewriteMemory(deps, tx, key, owner, r.id, { content: shorter }, "trim", { summarized: true });
    counts.add("trim", r.tier);
  }
}

async function summarize(
  deps: MemoryStoreDeps,
  tx: Tx,
  key: DataKey,
  owner: Owner,
  counts: PolicyCounts,
): Promise<void> {
  const p = deps.config.memory.policies;
  // Threads with enough memories whose summary is missing or older than their newest memory.
  const threads = await tx<{ thread_id: string; tier: number; summary_id: string | null }[]>`
    with t as (
      select thread_id, count(*) as n, max(updated_at) as last, max(tier)::int as tier from memories
      where owner_id = ${owner.ownerId} and thread_id <> '' and not is_summary group by thread_id
      having count(*) >= ${p.summaryMinMemories}
    )
    select t.thread_id, t.tier, s.id as summary_id from t
    left join memories s on s.owner_id = ${owner.ownerId} and s.is_summary and s.thread_id = t.thread_id
    where s.id is null or s.updated_at < t.last
    order by t.thread_id limit ${MAX_SUMMARIES_PER_USER}`;
  for (const t of threads) {
    const members = await tx<MemoryRow[]>`
      select * from (
        select ${memoryColumns(tx)} from memories m
        where m.owner_id = ${owner.ownerId} and m.thread_id = ${t.thread_id} and not m.is_summary
        order by m.created_at desc limit ${MAX_THREAD_MEMBERS}
      ) recent order by created_at`;
    const opened = await withDataKey(tx, deps.keys, deps.logger, owner.ownerId, "memory", (k) =>
      Promise.all(members.map((m) => openRow(k, m))),
    );
    const text = summarizeThread(
      opened.map((m) => ({ content: m.content, importance: m.importance, createdAt: m.createdAt })),
      p.trimAboveChars,
    );
    if (t.summary_id) {
      await rewriteMemory(deps, tx, key, owner, t.summary_id, { content: text }, "summarize");
    } else {
      const prepared = await prepareMemory(
        key,
        deps.config.memory.encryption,
        owner,
        uuidv7(),
        {
          content: text,
          threadId: t.thread_id,
          agentId: "",
          namespace: "",
          metadata: {},
          importance: Math.max(...opened.map((m) => m.importance)),
          topic: "",
          category: "",
          role: ChatRole.SYSTEM,
          expiresAt: null,
          idempotencyKey: "",
        },
        { tier: t.tier, isSummary: true },
      );
      // A new summary waits for its embedding like any new memory (a rewritten one is reset by rewriteMemory).
      prepared.vector = await planVector(vectorSettings(deps.config), key, owner.ownerId, prepared.id, undefined);
      await insertPrepared(tx, owner, [prepared]);
    }
    counts.add("summarize", t.tier);
  }
}

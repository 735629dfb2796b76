/**
 * The backfill queue of memory vectors (state pending): claimed in small batches across owners by
 * any replica (a lease in next_attempt_at, FOR UPDATE SKIP LOCKED), then handled one owner at a time
 * under that owner's RLS context. The claim is the one statement not led by owner_id (like the policy
 * job's walk): a background scan of the partial index memory_vectors_pending_idx.
 */
import type { DataKey } from "../security/crypto.js";
import { contentAd, unseal, withDataKey } from "./memory-rows.js";
import type { MemoryStoreDeps } from "./memory-deps.js";
import type { Sql } from "./database.js";
import { bumpVectorVersion } from "./memory-vectors.js";
import type { Owner } from "./owner.js";
import { inTx, SYSTEM, userContext } from "./tx.js";

export interface ClaimedVector {
  owner_id: string;
  account_id: string;
  memory_id: string;
  memory_version: number;
  attempts: number;
}

/** Claims up to `limit` due rows for leaseSeconds (a crashed worker's claim expires); counts an attempt. */
export async function claimPending(sql: Sql, limit: number, leaseSeconds: number): Promise<ClaimedVector[]> {
  return inTx(
    sql,
    SYSTEM,
    (tx) => tx<ClaimedVector[]>`
      update memory_vectors v set next_attempt_at = now() + make_interval(secs => ${leaseSeconds}),
        attempts = v.attempts + 1
      from (select owner_id, memory_id from memory_vectors
            where state = 'pending' and next_attempt_at <= now()
            order by next_attempt_at limit ${limit} for update skip locked) p
      where v.owner_id = p.owner_id and v.memory_id = p.memory_id
      returning v.owner_id, v.account_id, v.memory_id, v.memory_version, v.attempts`,
  );
}

export interface PendingText {
  id: string;
  version: number;
  content: string;
}

/**
 * The current content of claimed memories whose version is still the one to embed (others are
 * skipped), and the owner's data key to seal their vectors with (undefined: the owner was erased).
 */
export async function pendingTexts(
  deps: MemoryStoreDeps & { db: { sql: Sql } },
  owner: Owner,
  claimed: ClaimedVector[],
): Promise<{ texts: PendingText[]; key: DataKey | undefined }> {
  return inTx(deps.db.sql, userContext(owner.accountId, owner.ownerId), async (tx) => {
    const key = await deps.keys.load(tx, owner.ownerId);
    if (!key) return { texts: [], key };
    const rows = await tx<{ id: string; version: number; content_ct: Uint8Array; encrypted: boolean }[]>`
      select m.id, m.version, m.content_ct, m.encrypted from memories m
      join unnest(${claimed.map((c) => c.memory_id)}::uuid[], ${claimed.map((c) => c.memory_version)}::int[])
        as c(id, version) on c.id = m.id and c.version = m.version
      where m.owner_id = ${owner.ownerId}`;
    const texts = await withDataKey(tx, deps.keys, deps.logger, owner.ownerId, "memory", (k) =>
      Promise.all(
        rows.map(async (r) => ({
          id: r.id,
          version: r.version,
          content: await unseal(k, r.encrypted, r.content_ct, contentAd(owner.ownerId, r.id, r.version, "content")),
        })),
      ),
    );
    return { texts, key };
  });
}

/** Stores sealed vectors (hex) of still-current versions as ready; moves the owner's version. Returns how many. */
export async function storeReady(
  sql: Sql,
  owner: Owner,
  model: string,
  dims: number,
  items: ReadonlyArray<{ id: string; version: number; ct: Uint8Array }>,
): Promise<number> {
  if (items.length === 0) return 0;
  return inTx(sql, userContext(owner.accountId, owner.ownerId), async (tx) => {
    const [r] = await tx<{ n: number }[]>`
      with up as (
        update memory_vectors v set state = 'ready', ciphertext = decode(x.ct, 'hex'), model = ${model},
          dims = ${dims}, updated_at = now()
        from unnest(${items.map((i) => i.id)}::uuid[], ${items.map((i) => i.version)}::int[],
                    ${items.map((i) => Buffer.from(i.ct).toString("hex"))}::text[]) as x(id, version, ct)
        where v.owner_id = ${owner.ownerId} and v.memory_id = x.id and v.memory_version = x.version
          and v.state = 'pending'
        returning 1
      ), vbump as (${bumpVectorVersion(tx, owner, tx`select 1 from up`)})
      select count(*)::int as n from up`;
    return r?.n ?? 0;
  });
}

/**
 * The provider failed for these rows: retry after an exponential backoff (base · 2^attempts, at most
 * an hour), or mark them failed once maxAttempts is reached. Returns how many failed for good.
 */
export async function retryLater(
  sql: Sql,
  owner: Owner,
  ids: string[],
  maxAttempts: number,
  baseSeconds: number,
): Promise<number> {
  if (ids.length === 0) return 0;
  return inTx(sql, userContext(owner.accountId, owner.ownerId), async (tx) => {
    const rows = await tx<{ state: string }[]>`
      update memory_vectors set
        state = case when attempts >= ${maxAttempts} then 'failed' else 'pending' end,
        next_attempt_at = now() + make_interval(secs => least(${baseSeconds}::float8 * 2 ^ attempts, 3600)),
        updated_at = now()
      where owner_id = ${owner.ownerId} and memory_id = any(${ids}::uuid[]) and state = 'pending'
      returning state`;
    return rows.filter((r) => r.state === "failed").length;
  });
}

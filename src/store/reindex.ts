/**
 * `memoric index rebuild`: brings every memory's blind-index postings (memory_terms, doc_len, the
 * term-set fingerprint terms_hash) in
 * line with the current text analysis (domain/text.ts), after a change of the analysis or of the
 * Unicode segmentation Node ships. Like `keys rewrap`, it works in small committed batches while
 * servers keep reading and writing, and can be interrupted and re-run: each memory's postings are
 * recomputed from its decrypted content and rewritten only when they differ, so a re-run writes only
 * what is still outdated. Nothing is stored in clear: terms are HMACed under the owner's index key.
 */
import type { Logger } from "../logger.js";
import type { MasterKeyring } from "../security/crypto.js";
import type { AuditWriter } from "./audit-log.js";
import type { Sql } from "./database.js";
import { contentAd, unseal } from "./memory-rows.js";
import { moveStats } from "./memory-stats.js";
import { dropPostings, insertTerms } from "./memory-write.js";
import { TermIndexer, type IndexedTerms } from "./memory-analysis.js";
import type { Owner } from "./owner.js";
import { OwnerKeys } from "./owner-keys.js";
import { inTx, SYSTEM, type Tx } from "./tx.js";
import { keyedOwners } from "./keyed-owners.js";
import type { DataKey } from "../security/crypto.js";
import { overlay } from "../domain/objects.js";

export interface ReindexOptions {
  sql: Sql;
  keyring: MasterKeyring;
  /** Memories per transaction. */
  batchSize?: number;
  logger?: Logger;
  audit?: AuditWriter;
}

export interface ReindexResult {
  memoriesChecked: number;
  memoriesReindexed: number;
  /** Owners whose key could not be unwrapped or whose rows failed; re-run after fixing. */
  failedOwners: string[];
}

const ACTOR = { system: "index-rebuild" };

export async function reindexAll(opts: ReindexOptions): Promise<ReindexResult> {
  const batch = opts.batchSize ?? 200;
  const keys = new OwnerKeys(opts.keyring);
  const result: ReindexResult = { memoriesChecked: 0, memoriesReindexed: 0, failedOwners: [] };
  for await (const row of keyedOwners(opts.sql, batch)) {
    try {
      const owner: Owner = { accountId: row.account_id, ownerId: row.owner_id };
      const key = await keys.unwrap(row.owner_id, row.wrapped_key, row.master_key_id);
      let cursor = "00000000-0000-0000-0000-000000000000";
      for (;;) {
        const seen = await inTx(opts.sql, SYSTEM, (tx) => reindexBatch(tx, owner, key, cursor, batch, result));
        if (!seen) break;
        cursor = seen;
      }
    } catch (err) {
      result.failedOwners.push(row.owner_id);
      opts.logger?.error(
        { ownerId: row.owner_id, err: err instanceof Error ? err.message : "error" },
        "index rebuild failed for owner",
      );
    }
  }
  await opts.audit?.recordStandalone(ACTOR, {
    type: "system.index.rebuilt",
    success: result.failedOwners.length === 0,
    resourceType: "memory",
    details: overlay(result, { failedOwners: result.failedOwners.length }),
  });
  return result;
}

interface Row {
  id: string;
  version: number;
  content_ct: Uint8Array;
  encrypted: boolean;
  doc_len: number;
  terms_hash: Uint8Array | null;
  term_hashes: string[];
  postings: string[] | null;
}

const signature = (hashes: string[], tfs: number[]) =>
  hashes
    .map((h, i) => `${h}:${tfs[i]}`)
    .sort()
    .join(",");

/** Re-indexes the next `batch` memories of one owner after `after`; returns the last id seen, undefined at the end. */
async function reindexBatch(
  tx: Tx,
  owner: Owner,
  key: DataKey,
  after: string,
  batch: number,
  result: ReindexResult,
): Promise<string | undefined> {
  const rows = await tx<Row[]>`
    select m.id, m.version, m.content_ct, m.encrypted, m.doc_len, m.terms_hash, m.term_hashes::text[],
           (select array_agg(t.term_hash::text || ':' || t.tf) from memory_terms t
            where t.owner_id = ${owner.ownerId} and t.term_hash = any(m.term_hashes) and t.memory_id = m.id) as postings
    from memories m where m.owner_id = ${owner.ownerId} and m.id > ${after}::uuid
    order by m.id limit ${batch} for update`;
  const stale: [string, IndexedTerms][] = [];
  const indexer = new TermIndexer(key.blindIndexKey());
  for (const r of rows) {
    const content = await unseal(key, r.encrypted, r.content_ct, contentAd(owner.ownerId, r.id, r.version, "content"));
    const terms = indexer.index(content);
    const current = (r.postings ?? []).sort().join(",");
    const sameFingerprint = Buffer.from(r.terms_hash ?? []).equals(terms.fingerprint ?? Buffer.alloc(0));
    if (terms.docLen !== r.doc_len || !sameFingerprint || signature(terms.hashes, terms.tfs) !== current)
      stale.push([r.id, terms]);
  }
  result.memoriesChecked += rows.length;
  if (stale.length > 0) {
    const ids = stale.map(([id]) => id);
    const before = new Map(rows.map((r) => [r.id, r.term_hashes]));
    await dropPostings(
      tx,
      owner,
      ids.map((id) => [id, before.get(id) ?? []]),
    );
    await insertTerms(tx, owner, stale);
    const lens = stale.map(([, t]) => t.docLen);
    const fingerprints = stale.map(([, t]) => t.fingerprint?.toString("hex") ?? null);
    // Each memory's hash list as one array literal: the lists differ in length, so no 2-D array.
    const hashLists = stale.map(([, t]) => `{${t.hashes.join(",")}}`);
    // The BM25 counters move by the change of length, in the same statement (memory-stats.ts).
    await tx`
      with old as (
        select id, doc_len from memories where owner_id = ${owner.ownerId} and id = any(${ids}::uuid[])
      ), upd as (
        update memories m set doc_len = u.len, terms_hash = decode(u.fp, 'hex'), term_hashes = u.hashes::bigint[]
        from unnest(${ids}::uuid[], ${lens}::int[], ${fingerprints}::text[], ${hashLists}::text[])
          as u(id, len, fp, hashes)
        where m.owner_id = ${owner.ownerId} and m.id = u.id
        returning m.id, m.doc_len
      ), stats as (
        ${moveStats(tx, owner, tx`select upd.id, upd.doc_len - old.doc_len, 0 from upd join old using (id)`)}
      )
      select count(*) from upd`;
    result.memoriesReindexed += stale.length;
  }
  return rows.length === batch ? rows[rows.length - 1]!.id : undefined;
}

/**
 * `memoric keys rewrap` (DESIGN.md §5 rotation): brings every stored secret under the current keys,
 * in small committed batches, so it can be interrupted and re-run (it resumes where it stopped:
 * every batch selects only what is still outdated) while servers keep reading and writing.
 *
 * 1. owners: data keys wrapped under a non-primary master key (or stored unwrapped because the
 *    deployment ran without a keyset) are rewrapped under the primary master key. After this, no row
 *    names the old master key id and `keys disable` can retire it.
 * 2. memories, memory_versions, memory_clusters: rows stored in plaintext (MEMORIC_ENCRYPTION=off)
 *    are encrypted, and rows under a data key id other than the user's primary are re-encrypted.
 *    With rotateDataKeys, each user's data keyset first gets a new primary key (old keys kept, so
 *    servers holding the old keyset in cache keep working), then all their rows move to it.
 */
import type { Logger } from "../logger.js";
import { DataKey, type MasterKeyring } from "../security/crypto.js";
import type { AuditWriter } from "./audit-log.js";
import type { Sql } from "./database.js";
import { contentAd, seal, unseal } from "./memory-rows.js";
import { inTx, SYSTEM, type Tx } from "./tx.js";
import { keyedOwners, type KeyedOwner } from "./keyed-owners.js";
import { OwnerKeys } from "./owner-keys.js";
import { overlay } from "../domain/objects.js";

export interface RewrapOptions {
  sql: Sql;
  keyring: MasterKeyring;
  /** Rows per transaction. */
  batchSize?: number;
  /** Also give every user's data keyset a new primary key and move their rows to it. */
  rotateDataKeys?: boolean;
  logger?: Logger;
  audit?: AuditWriter;
}

export interface RewrapResult {
  userKeysRewrapped: number;
  dataKeysRotated: number;
  rowsReencrypted: number;
  plaintextRowsEncrypted: number;
  /** Users whose key could not be unwrapped (e.g. wrapped under a disabled or unknown master key). */
  failedUsers: string[];
}

const ACTOR = { system: "keys-rewrap" };

export async function rewrapAll(opts: RewrapOptions): Promise<RewrapResult> {
  const batch = opts.batchSize ?? 200;
  const keys = new OwnerKeys(opts.keyring);
  const result: RewrapResult = {
    userKeysRewrapped: 0,
    dataKeysRotated: 0,
    rowsReencrypted: 0,
    plaintextRowsEncrypted: 0,
    failedUsers: [],
  };
  const primary = String(opts.keyring.primaryKeyId);
  for await (const row of keyedOwners(opts.sql, batch)) {
    try {
      await rewrapUser(opts, keys, row, primary, batch, result);
    } catch (err) {
      result.failedUsers.push(row.owner_id);
      opts.logger?.error(
        { ownerId: row.owner_id, err: err instanceof Error ? err.message : "error" },
        "rewrap failed for user",
      );
    }
  }
  await opts.audit?.recordStandalone(ACTOR, {
    type: "system.key.rotated",
    success: result.failedUsers.length === 0,
    resourceType: "keyset",
    details: overlay(result, { failedUsers: result.failedUsers.length, primaryKeyId: opts.keyring.primaryKeyId }),
  });
  return result;
}

async function rewrapUser(
  opts: RewrapOptions,
  keys: OwnerKeys,
  row: KeyedOwner,
  primary: string,
  batch: number,
  result: RewrapResult,
): Promise<void> {
  const ownerId = row.owner_id; // an account's own id, or an end user's
  let key = await keys.unwrap(ownerId, row.wrapped_key, row.master_key_id);
  if (opts.rotateDataKeys) {
    // Rebuild from bytes: DataKey instances may be shared through the server-side cache.
    const rotated = await DataKey.fromBytes(key.toBytes());
    await rotated.addKeyAndPromote();
    key = rotated;
  }
  if (row.master_key_id !== primary || opts.rotateDataKeys) {
    const [wrapped, masterKeyId] = await keys.wrap(ownerId, key);
    await inTx(
      opts.sql,
      SYSTEM,
      (tx) => tx`
      update owners set wrapped_key = ${wrapped}, master_key_id = ${masterKeyId}, updated_at = now()
      where id = ${ownerId}`,
    );
    // Servers holding the old key in cache (in other processes) re-read it on their first decrypt
    // failure (withDataKey); old data keys stay in the keyset, so nothing they hold breaks before that.
    if (row.master_key_id !== primary) result.userKeysRewrapped++;
    if (opts.rotateDataKeys) result.dataKeysRotated++;
  }
  for (const table of ["memories", "memory_versions", "memory_clusters"] as const) {
    for (;;) {
      const n = await inTx(opts.sql, SYSTEM, (tx) => reencryptBatch(tx, table, ownerId, key, batch, result));
      if (n < batch) break;
    }
  }
}

interface DataRow {
  id: string;
  version: number;
  a: Uint8Array;
  b: Uint8Array | null;
  encrypted: boolean;
}

/** Re-encrypts up to `batch` outdated rows of one table for one user; returns how many it saw. */
async function reencryptBatch(
  tx: Tx,
  table: "memories" | "memory_versions" | "memory_clusters",
  ownerId: string,
  key: DataKey,
  batch: number,
  result: RewrapResult,
): Promise<number> {
  const primary = key.keyId;
  const stale = tx`owner_id = ${ownerId} and (not encrypted or key_id is distinct from ${primary})`;
  const rows =
    table === "memories"
      ? await tx<DataRow[]>`
          select id, version, content_ct as a, metadata_ct as b, encrypted
          from memories where ${stale} order by id limit ${batch} for update`
      : table === "memory_versions"
        ? await tx<DataRow[]>`
            select memory_id as id, version, content_ct as a, metadata_ct as b, encrypted
            from memory_versions where ${stale} order by memory_id, version limit ${batch} for update`
        : await tx<DataRow[]>`
            select id, 0 as version, data_ct as a, null::bytea as b, encrypted
            from memory_clusters where ${stale} order by id limit ${batch} for update`;
  for (const r of rows) {
    if (table === "memory_clusters") {
      const ad = { table: "memory_clusters", column: "data", rowId: r.id, ownerId };
      const s = await seal(key, true, await unseal(key, r.encrypted, r.a, ad), ad);
      await tx`update memory_clusters set data_ct = ${s.ct}, encrypted = true, key_id = ${s.keyId}
                where owner_id = ${ownerId} and id = ${r.id}`;
    } else {
      const [c, m] = await Promise.all(
        (["content", "metadata"] as const).map(async (col, i) => {
          const ad = contentAd(ownerId, r.id, r.version, col);
          return seal(key, true, await unseal(key, r.encrypted, (i === 0 ? r.a : r.b)!, ad), ad);
        }),
      );
      if (table === "memories") {
        await tx`
          update memories set content_ct = ${c!.ct}, metadata_ct = ${m!.ct}, encrypted = true, key_id = ${c!.keyId}
          where owner_id = ${ownerId} and id = ${r.id} and version = ${r.version}`;
      } else {
        await tx`
          update memory_versions
          set content_ct = ${c!.ct}, metadata_ct = ${m!.ct}, encrypted = true, key_id = ${c!.keyId}
          where owner_id = ${ownerId} and memory_id = ${r.id} and version = ${r.version}`;
      }
    }
    if (r.encrypted) result.rowsReencrypted++;
    else result.plaintextRowsEncrypted++;
  }
  return rows.length;
}

/** Data keys still wrapped under a master key id (what disabling it would make unreadable). */
export async function countWrappedUnder(sql: Sql, keyId: number): Promise<number> {
  const [row] = await inTx(
    sql,
    SYSTEM,
    (tx) => tx<{ n: number }[]>`select count(*)::int as n from owners where master_key_id = ${keyId}`,
  );
  return row?.n ?? 0;
}

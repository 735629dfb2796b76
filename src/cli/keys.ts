/**
 * `memoric keys generate | list | add | promote | disable | rewrap` as plain functions; the CLI entry
 * parses arguments, reads MEMORIC_KEYSET(_FILE) / DATABASE_URL and prints the results.
 *
 * Rotation runbook (reads keep working at every step):
 *   1. keys add      -> new keyset with an extra, non-primary key; deploy it to every replica
 *                       (they can now unwrap with it);
 *   2. keys promote  -> the new key becomes primary: new data keys are wrapped with it; deploy;
 *   3. keys rewrap   -> rewraps the remaining data keys (and encrypts plaintext rows), in batches,
 *                       resumable;
 *   4. keys disable  -> the old key stops unwrapping; refused while rows still name it; deploy.
 * Keysets are never written to the database; outputs are base64 for MEMORIC_KEYSET.
 */
import type { Logger } from "../logger.js";
import { MasterKeyring } from "../security/crypto.js";
import type { AuditWriter } from "../store/audit-log.js";
import type { Sql } from "../store/database.js";
import { countWrappedUnder, rewrapAll, type RewrapResult } from "../store/rewrap.js";
import { overlay } from "../domain/objects.js";

export interface KeysetOutput {
  /** base64 of the Tink binary keyset: the new MEMORIC_KEYSET. Secret: print to a file, not a log. */
  keyset: string;
  keys: { id: number; status: "enabled" | "disabled"; primary: boolean }[];
}

function output(ring: MasterKeyring): KeysetOutput {
  return { keyset: ring.toBase64(), keys: ring.keys() };
}

/** A new master keyset with one AES-256-GCM key. */
export async function keysGenerate(): Promise<KeysetOutput & { keyId: number }> {
  const ring = await MasterKeyring.generate();
  return overlay(output(ring), { keyId: ring.primaryKeyId });
}

export async function keysList(keysetBase64: string): Promise<KeysetOutput["keys"]> {
  return (await MasterKeyring.fromBase64(keysetBase64)).keys();
}

/** Adds an enabled, non-primary key. */
export async function keysAdd(keysetBase64: string): Promise<KeysetOutput & { keyId: number }> {
  const ring = await MasterKeyring.fromBase64(keysetBase64);
  const keyId = await ring.addKey();
  return overlay(output(ring), { keyId });
}

export async function keysPromote(keysetBase64: string, keyId: number): Promise<KeysetOutput> {
  const ring = await MasterKeyring.fromBase64(keysetBase64);
  ring.promote(keyId);
  return output(ring);
}

export class KeyInUseError extends Error {
  override name = "KeyInUseError";
}

/**
 * Disables a non-primary key. With a database, refuses while any user's data key is still wrapped
 * under it (run rewrap first) unless force is set.
 */
export async function keysDisable(
  keysetBase64: string,
  keyId: number,
  opts: { sql?: Sql; force?: boolean } = {},
): Promise<KeysetOutput & { stillWrapped: number }> {
  const ring = await MasterKeyring.fromBase64(keysetBase64);
  const stillWrapped = opts.sql ? await countWrappedUnder(opts.sql, keyId) : 0;
  if (stillWrapped > 0 && !opts.force) {
    throw new KeyInUseError(
      `${stillWrapped} data key(s) are still wrapped under key ${keyId}; run \`memoric keys rewrap\` first`,
    );
  }
  ring.disable(keyId);
  return overlay(output(ring), { stillWrapped });
}

/** Rewraps data keys under the primary master key and encrypts/re-encrypts rows (see store/rewrap.ts). */
export async function keysRewrap(opts: {
  sql: Sql;
  keysetBase64: string;
  batchSize?: number;
  rotateDataKeys?: boolean;
  logger?: Logger;
  audit?: AuditWriter;
}): Promise<RewrapResult> {
  const keyring = await MasterKeyring.fromBase64(opts.keysetBase64);
  return rewrapAll({
    sql: opts.sql,
    keyring,
    batchSize: opts.batchSize,
    rotateDataKeys: opts.rotateDataKeys,
    logger: opts.logger,
    audit: opts.audit,
  });
}

// Blind index (DESIGN.md §5): terms are stored only as keyed HMACs under a per-user key
// (DataKey.blindIndexKey()), so BM25 can run in SQL over memory_terms(term_hash bigint, tf)
// without plaintext. Leak, by design: within one user, equal terms have equal hashes, so the
// database learns term equality and frequency, not the terms. Across users hashes are unrelated.
import { createHmac } from "node:crypto";

export interface BlindTerm {
  hash: bigint;
  tf: number;
}

/**
 * HMAC-SHA256(key, UTF-8 term), first 8 bytes read big-endian as a SIGNED 64-bit integer, because
 * Postgres has no unsigned bigint. 64 bits keep collisions negligible for one user's vocabulary
 * (~2^-64 per pair) while fitting a native, indexable column.
 */
export function blindTerm(key: Uint8Array, term: string): bigint {
  if (key.length < 32) throw new Error("blind index key must be at least 32 bytes");
  const mac = createHmac("sha256", key).update(term, "utf8").digest();
  return mac.readBigInt64BE(0);
}

/**
 * A keyed fingerprint of a document's SET of terms (16 bytes), equal for two documents of one owner
 * exactly when they have the same terms: how near-exact duplicates are recognised without plaintext.
 * Null for a document without terms. The "terms:" domain keeps it apart from every term hash.
 */
export function blindFingerprint(key: Uint8Array, terms: Iterable<string>): Buffer | null {
  const sorted = [...new Set(terms)].sort();
  if (sorted.length === 0) return null;
  return createHmac("sha256", key)
    .update(`terms:${sorted.join("\u0000")}`, "utf8")
    .digest()
    .subarray(0, 16);
}

/**
 * Hashes a document's term frequencies. Should two terms ever collide, their frequencies are
 * summed so hashes stay unique (memory_terms is keyed by memory id + hash). `memo` (term -> hash)
 * may be shared by documents hashed under the same key within one call.
 */
export function blindTerms(key: Uint8Array, terms: Map<string, number>, memo?: Map<string, bigint>): BlindTerm[] {
  const byHash = new Map<bigint, number>();
  for (const [term, tf] of terms) {
    let hash = memo?.get(term);
    if (hash === undefined) {
      hash = blindTerm(key, term);
      memo?.set(term, hash);
    }
    byHash.set(hash, (byHash.get(hash) ?? 0) + tf);
  }
  return [...byHash].map(([hash, tf]) => ({ hash, tf }));
}

/**
 * Keyed hash of a backend's external end-user id under the account's index key: the database never
 * sees the id (often an email), and the same id in two accounts hashes unrelatedly.
 */
export function endUserHash(accountIndexKey: Uint8Array, externalId: string): Buffer {
  if (accountIndexKey.length < 32) throw new Error("blind index key must be at least 32 bytes");
  return createHmac("sha256", accountIndexKey).update(`end_user:${externalId}`, "utf8").digest();
}

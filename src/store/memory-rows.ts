/**
 * The stored shape of a memory and the only place that turns it into plaintext and back:
 * encryption with associated data, ids (the blind values live in memory-analysis.ts).
 *
 * Associated data binds each ciphertext to ("memories", column, "<id>#<version>", user): a copy to
 * another memory, version or user fails to decrypt, which also defeats rolling a memory back to an
 * older ciphertext. memory_versions stores the very same bytes, readable only as that version.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { JsonObject } from "@bufbuild/protobuf";
import { createHmac } from "node:crypto";
import { randomBytesPooled } from "../security/random-pool.js";
import type { Logger } from "../logger.js";
import type { DecryptionTarget } from "../metrics/metrics.js";
import { ciphertextKeyId, type DataKey, DecryptionError, type AssociatedData } from "../security/crypto.js";
import type { Tx } from "./tx.js";
import type { OwnerKeys } from "./owner-keys.js";

/** Encrypted alongside the content: everything derived from it, plus the caller's metadata. */
export interface MemoryDoc {
  metadata: JsonObject;
  topic: string;
  category: string;
  entities: string[];
  /** Which of topic/category/importance were derived (re-derived when the content changes). */
  derived: { topic: boolean; category: boolean; importance: boolean };
}

/** A decrypted memory as the service layer sees it. */
export interface MemoryRecord extends MemoryDoc {
  id: string;
  content: string;
  threadId: string;
  agentId: string;
  namespace: string;
  role: number;
  importance: number;
  tier: number;
  summarized: boolean;
  isSummary: boolean;
  /** A core memory, always in GetContext. */
  pinned: boolean;
  /** The newer memory that replaced this one, or null while it is live. */
  supersededBy: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date | null;
}

/** A memories row as selected by memoryColumns(). */
export interface MemoryRow {
  id: string;
  owner_id: string;
  namespace: string;
  agent_id: string;
  thread_id: string;
  role: number;
  importance: number;
  tier: number;
  content_ct: Uint8Array;
  metadata_ct: Uint8Array;
  encrypted: boolean;
  summarized: boolean;
  is_summary: boolean;
  pinned: boolean;
  superseded_by: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
  expires_at: Date | null;
}

/** Columns for MemoryRow, qualified with alias m (use `from memories m`). */
export function memoryColumns(tx: Tx) {
  return tx`m.id, m.owner_id, m.namespace, m.agent_id, m.thread_id, m.role, m.importance, m.tier, m.content_ct,
    m.metadata_ct, m.encrypted, m.summarized, m.is_summary, m.pinned, m.superseded_by, m.version, m.created_at,
    m.updated_at, m.expires_at`;
}

/** RFC 9562 UUIDv7: time-ordered, so new rows append to the primary key index. */
export function uuidv7(now = Date.now()): string {
  const b = randomBytesPooled(16);
  b.writeUIntBE(now, 0, 6);
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true });

export function contentAd(
  ownerId: string,
  id: string,
  version: number,
  column: "content" | "metadata",
): AssociatedData {
  return { table: "memories", column, rowId: `${id}#${version}`, ownerId };
}

export interface Sealed {
  ct: Uint8Array;
  encrypted: boolean;
  keyId: number | null;
}

/** Encrypts under the user's key, or stores UTF-8 when encryption is off. */
export async function seal(key: DataKey, encrypt: boolean, text: string, ad: AssociatedData): Promise<Sealed> {
  if (!encrypt) return { ct: utf8.encode(text), encrypted: false, keyId: null };
  const ct = await key.encrypt(text, ad);
  return { ct, encrypted: true, keyId: ciphertextKeyId(ct) };
}

/**
 * Decrypts, or decodes a plaintext row. A "plaintext" row that is not strict UTF-8 or starts with a
 * Tink prefix byte is treated as tampering (someone flipped `encrypted`): ciphertext is never
 * handed back as text.
 */
export async function unseal(
  key: DataKey | undefined,
  encrypted: boolean,
  ct: Uint8Array,
  ad: AssociatedData,
): Promise<string> {
  if (encrypted) {
    if (!key) throw new DecryptionError();
    return key.decryptText(ct, ad);
  }
  if (ct[0] === 1) throw new DecryptionError();
  try {
    return utf8Strict.decode(ct);
  } catch {
    throw new DecryptionError();
  }
}

export function encodeDoc(doc: MemoryDoc): string {
  return JSON.stringify(doc);
}

export function decodeDoc(text: string): MemoryDoc {
  const d = JSON.parse(text) as Partial<MemoryDoc>;
  return {
    metadata: d.metadata ?? {},
    topic: d.topic ?? "",
    category: d.category ?? "",
    entities: d.entities ?? [],
    derived: d.derived ?? { topic: false, category: false, importance: false },
  };
}

export async function openRow(key: DataKey | undefined, row: MemoryRow): Promise<MemoryRecord> {
  const [content, docText] = await Promise.all([
    unseal(key, row.encrypted, row.content_ct, contentAd(row.owner_id, row.id, row.version, "content")),
    unseal(key, row.encrypted, row.metadata_ct, contentAd(row.owner_id, row.id, row.version, "metadata")),
  ]);
  // The doc's members last: a literal that starts with a spread costs a hidden class per row (domain/objects.ts).
  return {
    id: row.id,
    content,
    threadId: row.thread_id,
    agentId: row.agent_id,
    namespace: row.namespace,
    role: row.role,
    importance: row.importance,
    tier: row.tier,
    summarized: row.summarized,
    isSummary: row.is_summary,
    pinned: row.pinned,
    supersededBy: row.superseded_by,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
    ...decodeDoc(docText),
  };
}

/**
 * Runs fn with the user's data key. A decrypt failure first retries with the key re-read from the
 * database (another replica may have changed it), then becomes DataLoss with a generic message;
 * the log line names the user and what failed, never bytes.
 */
export async function withDataKey<T>(
  tx: Tx,
  keys: OwnerKeys,
  logger: Logger,
  ownerId: string,
  what: DecryptionTarget,
  fn: (key: DataKey | undefined) => Promise<T>,
  /** The key as the caller took it from the cache before the transaction (a one-statement read). */
  known?: DataKey,
): Promise<T> {
  let key = known ?? (await keys.load(tx, ownerId));
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(key);
    } catch (err) {
      if (!(err instanceof DecryptionError)) throw err;
      if (attempt === 0) {
        keys.forget(ownerId);
        key = await keys.load(tx, ownerId, true);
        continue;
      }
      logger.error({ ownerId, what }, "stored data failed to decrypt (tampered, moved, or its key is gone)");
      keys.decryptionFailed(what);
      throw new ConnectError("stored data could not be decrypted", Code.DataLoss);
    }
  }
}

/** Full-width HMAC (unique index): a retried key maps to the same row, the key itself is not stored. */
export function idempotencyHash(indexKey: Uint8Array, key: string): Buffer {
  return createHmac("sha256", indexKey).update(`idempotency:${key}`, "utf8").digest();
}

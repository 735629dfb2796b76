// Tamper-evident audit chain (DESIGN §7): h_n = SHA-256(h_{n-1} ‖ canonical(row_n)).
//
// Sharding: one global chain would force every audited transaction in the cluster to serialize on
// a single head row. Instead there are N independent chains ("shards", default 16); a row joins the
// shard picked by a stable hash of its principal id (or request id for anonymous callers), so one
// actor's events stay totally ordered in one chain while unrelated actors rarely contend. Each
// shard has a gap-free seq starting at 1. The shard number is stored in the row, so changing N later
// only changes where *new* rows go; old chains stay verifiable.
import { createHash, createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import type { AuditEventType, PrincipalTypeName, SeverityName } from "./audit-events.js";
import { overlay } from "./objects.js";

export const DEFAULT_SHARDS = 16;
export const GENESIS_HASH = "0".repeat(64);
/** Bumped if the canonical form ever changes; it is part of every hashed/signed encoding. */
const CANONICAL_VERSION = 1;

export interface AuditRecord {
  id: string;
  shard: number;
  seq: number; // gap-free per shard, from 1
  time: Date; // ms precision (JS Date); store as timestamptz(3)
  eventType: AuditEventType;
  severity: SeverityName;
  principalId: string | null;
  principalType: PrincipalTypeName;
  roles: string[]; // order is significant (hashed as given)
  service: string | null;
  method: string | null;
  resourceType: string | null;
  resourceId: string | null;
  success: boolean;
  code: string;
  errorMessage: string | null;
  clientAddress: string | null;
  userAgent: string | null;
  requestId: string | null;
  sessionId: string | null;
  details: Record<string, unknown>; // JSON only; never secrets or memory content
  prevHash: string; // hex; GENESIS_HASH for seq 1
  hash: string; // hex; chainHash(prevHash, this)
}
export type AuditRecordFields = Omit<AuditRecord, "prevHash" | "hash">;
export interface ChainHead {
  shard: number;
  seq: number;
  hash: string;
}

export interface Checkpoint {
  id: number | string;
  time: Date;
  heads: ChainHead[];
  /** Per shard, the last row removed by retention (rows 1..seq are legitimately gone). */
  prunedThrough?: ChainHead[];
  signature: string; // "<alg>:<hex>"
}
export type UnsignedCheckpoint = Omit<Checkpoint, "signature">;

/** Signing is behind this interface so Ed25519 (asymmetric, verifier holds only a public key) can replace HMAC. */
export interface CheckpointSigner {
  readonly alg: string;
  sign(data: Buffer): Buffer;
  verify(data: Buffer, signature: Buffer): boolean;
}

function hmacSigner(key: Buffer): CheckpointSigner {
  // The key comes from config and is never stored in the DB: a DB-only attacker cannot re-sign.
  if (key.length < 32) throw new RangeError("checkpoint HMAC key must be at least 32 bytes");
  const mac = (data: Buffer) => createHmac("sha256", key).update(data).digest();
  return {
    alg: "hmac-sha256",
    sign: mac,
    verify: (data, sig) => {
      const want = mac(data);
      return sig.length === want.length && timingSafeEqual(sig, want);
    },
  };
}

/** Stable shard choice: first 4 bytes of SHA-256(key) mod shards (identical in every process/version). */
export function shardFor(key: string, shards: number = DEFAULT_SHARDS): number {
  if (!Number.isInteger(shards) || shards < 1) throw new RangeError("shards must be a positive integer");
  return createHash("sha256").update(key, "utf8").digest().readUInt32BE(0) % shards;
}

/**
 * The key to shard by: the request id, so one busy principal's calls spread over every shard (a
 * per-principal key made a hot user queue on one head lock), while all rows of one request — and so
 * of one transaction — share a shard: a transaction never holds two head locks, so no deadlocks.
 * Falls back to the principal, then random.
 */
export function shardKey(requestId: string | null, principalId: string | null): string {
  return requestId ?? principalId ?? randomUUID();
}

/**
 * Canonical JSON: object keys sorted (UTF-16 code-unit order) at every level, no whitespace,
 * `undefined` members dropped and anything with toJSON (Date → ISO-8601 ms "Z") replaced by its
 * JSON form — i.e. exactly what survives a JSON/JSONB round trip, so a row read back from Postgres
 * re-encodes to the same bytes. Non-finite numbers, bigint, functions, symbols and cycles throw
 * (they cannot round-trip, and failing the write is safer than hashing something unreproducible).
 */
export function canonicalJson(value: unknown): string {
  return encode(value, []);
}

/** `path`: the objects being encoded around value (a cycle check, not a visited set: shared children are fine). */
function encode(value: unknown, path: object[]): string {
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError("canonicalJson: non-finite number");
      return JSON.stringify(value);
    case "object":
      if (value === null) return "null";
      break;
    default:
      throw new TypeError(`canonicalJson: unsupported ${typeof value}`);
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") return encode(toJSON.call(value), path);
  if (path.includes(value)) throw new TypeError("canonicalJson: cycle");
  path.push(value);
  let out: string;
  if (Array.isArray(value)) {
    // Indexed, so holes are visited; like JSON, undefined/function/symbol items become null.
    out = "[";
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (i > 0) out += ",";
      out += v === undefined || typeof v === "function" || typeof v === "symbol" ? "null" : encode(v, path);
    }
    out += "]";
  } else {
    out = "{";
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v === undefined) continue;
      if (out.length > 1) out += ",";
      out += `${JSON.stringify(k)}:${encode(v, path)}`;
    }
    out += "}";
  }
  path.pop(); // a throw above abandons the whole encoding, so no finally is needed
  return out;
}

/**
 * Every field of AuditRecordFields, which canonical(row) covers: picked explicitly, so prevHash/hash
 * (the prev hash is bound by the chainHash prefix instead) and any extra DB columns never leak in.
 */
const RECORD_FIELDS = [
  "id",
  "shard",
  "seq",
  "time",
  "eventType",
  "severity",
  "principalId",
  "principalType",
  "roles",
  "service",
  "method",
  "resourceType",
  "resourceId",
  "success",
  "code",
  "errorMessage",
  "clientAddress",
  "userAgent",
  "requestId",
  "sessionId",
  "details",
] as const satisfies readonly (keyof AuditRecordFields)[];
type Unlisted = Exclude<keyof AuditRecordFields, (typeof RECORD_FIELDS)[number]>;
const everyFieldListed: [Unlisted] extends [never] ? true : never = true;
void everyFieldListed;

// The canonical object's members in key order, split around seq: the append path hashes the row
// before the database numbers it (chainHashSplit).
const CANONICAL_ORDER = [...RECORD_FIELDS, "v" as const].sort();
const BEFORE_SEQ = CANONICAL_ORDER.slice(0, CANONICAL_ORDER.indexOf("seq"));
const AFTER_SEQ = CANONICAL_ORDER.slice(CANONICAL_ORDER.indexOf("seq") + 1);

function members(r: Omit<AuditRecordFields, "seq">, keys: readonly (typeof CANONICAL_ORDER)[number][]): string[] {
  const out: string[] = [];
  for (const key of keys) {
    if (key === "seq") continue; // for the type: never among BEFORE_SEQ / AFTER_SEQ
    const value = key === "v" ? CANONICAL_VERSION : key === "time" ? r.time.toISOString() : r[key];
    if (value !== undefined) out.push(`"${key}":${encode(value, [])}`);
  }
  return out;
}

/**
 * canonical(row) split around its seq value, which only the database knows at append time:
 * canonical(row) = head ‖ String(seq) ‖ tail. Invalid Dates throw.
 */
export function canonicalParts(r: Omit<AuditRecordFields, "seq">): [head: string, tail: string] {
  const before = members(r, BEFORE_SEQ);
  const after = members(r, AFTER_SEQ); // never empty: "v" sorts after "seq"
  return [`{${before.join(",")}${before.length > 0 ? "," : ""}"seq":`, `,${after.join(",")}}`];
}

/**
 * canonical(row) = UTF-8 of canonicalJson({ v: CANONICAL_VERSION, <every AuditRecordFields field> }),
 * `time` as its ISO-8601 string; built member by member in key order (canonicalParts) with the
 * encoder canonicalJson uses, so the bytes are the same.
 */
export function canonicalize(r: AuditRecordFields): Buffer {
  const [head, tail] = canonicalParts(r);
  return Buffer.from(head + encode(r.seq, []) + tail, "utf8");
}

export const HEX64 = /^[0-9a-f]{64}$/;

/** sha256(bytes(prevHash) ‖ canonical(record)) as lowercase hex. */
export function chainHash(prevHash: string, record: AuditRecordFields): string {
  // Buffer.from(hex) silently drops invalid digits, which would make different inputs collide.
  if (!HEX64.test(prevHash)) throw new TypeError("prevHash must be 64 lowercase hex digits");
  return createHash("sha256").update(Buffer.from(prevHash, "hex")).update(canonicalize(record)).digest("hex");
}

/**
 * chainHash of a record whose canonical form is `head ‖ seq ‖ tail` (the append path splits it
 * around seq, which only the database knows): the same hash without encoding the record again.
 */
export function chainHashSplit(prevHash: string, head: string, seq: number, tail: string): string {
  if (!HEX64.test(prevHash)) throw new TypeError("prevHash must be 64 lowercase hex digits");
  return createHash("sha256")
    .update(Buffer.from(prevHash, "hex"))
    .update(head + String(seq) + tail, "utf8")
    .digest("hex");
}

/** Builds the next row of a shard (prev = that shard's current head, or null for an empty shard). */
export function sealRecord(prev: ChainHead | null, fields: Omit<AuditRecordFields, "seq">): AuditRecord {
  if (prev && prev.shard !== fields.shard) throw new RangeError("head belongs to another shard");
  const prevHash = prev?.hash ?? GENESIS_HASH;
  const withSeq: AuditRecordFields = overlay(fields, { seq: (prev?.seq ?? 0) + 1 });
  return overlay(withSeq, { prevHash, hash: chainHash(prevHash, withSeq) });
}

const sortHeads = (h: ChainHead[] | undefined) =>
  h === undefined || h.length === 0
    ? undefined
    : [...h].sort((a, b) => a.shard - b.shard || a.seq - b.seq).map(({ shard, seq, hash }) => ({ shard, seq, hash }));

/** Everything but the signature; id is stringified (a bigint id read back as text still matches) and an
 * empty prunedThrough is the same as none (NULL vs '[]' in the DB must not break the signature). */
export function canonicalizeCheckpoint(cp: UnsignedCheckpoint): Buffer {
  return Buffer.from(
    canonicalJson({
      v: CANONICAL_VERSION,
      kind: "memoric.audit.checkpoint",
      id: String(cp.id),
      time: cp.time.toISOString(),
      heads: sortHeads(cp.heads) ?? [],
      prunedThrough: sortHeads(cp.prunedThrough),
    }),
    "utf8",
  );
}

export const asSigner = (k: Buffer | CheckpointSigner) => (Buffer.isBuffer(k) ? hmacSigner(k) : k);

export function signCheckpoint(cp: UnsignedCheckpoint, key: Buffer | CheckpointSigner): Checkpoint {
  const signer = asSigner(key);
  return overlay(cp, { signature: `${signer.alg}:${signer.sign(canonicalizeCheckpoint(cp)).toString("hex")}` });
}

export function verifyCheckpointSignature(cp: Checkpoint, key: Buffer | CheckpointSigner): boolean {
  const signer = asSigner(key);
  const sep = cp.signature.indexOf(":");
  const hex = cp.signature.slice(sep + 1);
  if (sep < 0 || cp.signature.slice(0, sep) !== signer.alg || !/^(?:[0-9a-f]{2})+$/.test(hex)) return false;
  const wellFormed = [...cp.heads, ...(cp.prunedThrough ?? [])].every(
    (h) => Number.isInteger(h.shard) && h.shard >= 0 && Number.isInteger(h.seq) && h.seq >= 1 && HEX64.test(h.hash),
  );
  return wellFormed && signer.verify(canonicalizeCheckpoint(cp), Buffer.from(hex, "hex"));
}

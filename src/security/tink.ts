// The only module that touches tink-crypto. Everything Tink-specific (jspb keyset objects, status
// enums, the ciphertext prefix) stays here, so crypto.ts works on plain bytes and numbers and a
// future switch of crypto library only rewrites this file.
//
// tink-crypto 0.1.1 gives us: AES-GCM key templates, KeysetHandle.getPrimitive(Aead), and binary
// (de)serialization of cleartext keysets (binaryInsecure = CleartextKeysetHandle). It has NO
// KeysetManager, so add/promote/disable are implemented below on the jspb Keyset objects that
// KeysetHandle.getKeyset() exposes (the proto classes themselves are not exported).
import "./tink-shim.js"; // must stay first: defines globalThis.self before the bundle evaluates
import { createCipheriv, createDecipheriv } from "node:crypto";
import { randomBytesPooled } from "./random-pool.js";
import { aead, binaryInsecure, generateNewKeysetHandle, KeysetHandle } from "tink-crypto";

// Registers the AES-GCM and AES-CTR-HMAC key managers in Tink's global registry (once per process).
aead.register();

const AES_GCM_TYPE_URL = "type.googleapis.com/google.crypto.tink.AesGcmKey";

// google.crypto.tink.KeyStatusType / OutputPrefixType enum values (tink.proto).
const STATUS_ENABLED = 1;
const STATUS_DISABLED = 2;
const STATUS_DESTROYED = 3;
const PREFIX_TINK = 1;

/** TINK-prefixed outputs start with 0x01 then the 4-byte big-endian key id (CryptoFormat). */
const TINK_PREFIX_SIZE = 5;
const TINK_START_BYTE = 1;

/** Thrown for keysets that cannot be parsed, fail validation, or violate our AES-256-GCM policy. */
export class TinkKeysetError extends Error {
  override name = "TinkKeysetError";
}

export interface AeadPrimitive {
  encrypt(plaintext: Uint8Array, associatedData: Uint8Array): Promise<Uint8Array>;
  decrypt(ciphertext: Uint8Array, associatedData: Uint8Array): Promise<Uint8Array>;
}

type KeyStatus = "enabled" | "disabled" | "destroyed" | "unknown";
export interface KeyInfo {
  id: number;
  status: KeyStatus;
  primary: boolean;
}

// Structural views of the jspb objects (the package types them all as `any`).
interface PbKeyData {
  getTypeUrl(): string;
  getValue(): Uint8Array | string;
}
interface PbKey {
  getKeyId(): number;
  getStatus(): number;
  setStatus(status: number): PbKey;
  getOutputPrefixType(): number;
  getKeyData(): PbKeyData | undefined;
}
interface PbKeyset {
  getPrimaryKeyId(): number;
  setPrimaryKeyId(id: number): PbKeyset;
  getKeyList(): PbKey[];
  addKey(key: PbKey): PbKey;
}

const keysetOf = (handle: KeysetHandle): PbKeyset => handle.getKeyset() as PbKeyset;

function statusName(s: number): KeyStatus {
  if (s === STATUS_ENABLED) return "enabled";
  if (s === STATUS_DISABLED) return "disabled";
  if (s === STATUS_DESTROYED) return "destroyed";
  return "unknown";
}

/** jspb may hold `bytes` fields as base64 strings; normalize to bytes. */
function asBytes(v: Uint8Array | string): Uint8Array {
  return typeof v === "string" ? new Uint8Array(Buffer.from(v, "base64")) : v;
}

/**
 * Extracts `key_value` (field 3) from a serialized google.crypto.tink.AesGcmKey. A ten-line
 * protobuf scan, because the package does not export PbAesGcmKey.
 */
function aesGcmKeyValue(serialized: Uint8Array): Uint8Array {
  let i = 0;
  const varint = (): number => {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = serialized[i++];
      if (b === undefined) throw new TinkKeysetError("truncated AesGcmKey");
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    throw new TinkKeysetError("bad varint in AesGcmKey");
  };
  let keyValue: Uint8Array | undefined;
  while (i < serialized.length) {
    const tag = varint();
    const wire = tag & 7;
    if (wire === 0) varint();
    else if (wire === 2) {
      const len = varint();
      if (i + len > serialized.length) throw new TinkKeysetError("truncated AesGcmKey");
      if (tag >>> 3 === 3) keyValue = serialized.subarray(i, i + len);
      i += len;
    } else throw new TinkKeysetError("unexpected wire type in AesGcmKey");
  }
  if (!keyValue) throw new TinkKeysetError("AesGcmKey without key_value");
  return keyValue;
}

/**
 * Enforces our policy on every keyset we load: only AES-256-GCM keys with the TINK output prefix
 * (so every ciphertext names its key id) and unique key ids (Tink JS does not check this).
 */
function checkPolicy(keyset: PbKeyset): void {
  const seen = new Set<number>();
  for (const key of keyset.getKeyList()) {
    const data = key.getKeyData();
    if (!data || data.getTypeUrl() !== AES_GCM_TYPE_URL) {
      throw new TinkKeysetError("keyset contains a key that is not AES-GCM");
    }
    if (key.getOutputPrefixType() !== PREFIX_TINK) {
      throw new TinkKeysetError("keyset contains a key without the TINK output prefix");
    }
    if (aesGcmKeyValue(asBytes(data.getValue())).length !== 32) {
      throw new TinkKeysetError("keyset contains an AES-GCM key that is not 256-bit");
    }
    if (seen.has(key.getKeyId())) throw new TinkKeysetError("keyset contains duplicate key ids");
    seen.add(key.getKeyId());
  }
}

/**
 * An immutable AES-256-GCM keyset. Every change returns a new instance, because the jspb keyset
 * held by a KeysetHandle is mutable and shared: mutating it in place would silently change a
 * primitive that another request is using.
 */
export class AeadKeyset {
  private primitive?: Promise<AeadPrimitive>;

  private constructor(private readonly handle: KeysetHandle) {}

  /** A new keyset holding one fresh AES-256-GCM key (TINK prefix), which is primary. */
  static async generate(): Promise<AeadKeyset> {
    return new AeadKeyset(await generateNewKeysetHandle(aead.aes256GcmKeyTemplate()));
  }

  /** Parses Tink's binary Keyset proto (cleartext). Throws TinkKeysetError on anything invalid. */
  static parse(bytes: Uint8Array): AeadKeyset {
    let handle: KeysetHandle;
    try {
      handle = binaryInsecure.deserializeKeyset(bytes);
    } catch {
      // Tink's own messages are fine but we don't want parser internals in logs/errors.
      throw new TinkKeysetError("not a valid Tink binary keyset");
    }
    checkPolicy(keysetOf(handle));
    return new AeadKeyset(handle);
  }

  /** Tink's binary Keyset proto, containing the secret key material in clear. */
  serialize(): Uint8Array {
    return binaryInsecure.serializeKeyset(this.handle);
  }

  get primaryKeyId(): number {
    return keysetOf(this.handle).getPrimaryKeyId();
  }

  keys(): KeyInfo[] {
    const primary = this.primaryKeyId;
    return keysetOf(this.handle)
      .getKeyList()
      .map((k) => ({ id: k.getKeyId(), status: statusName(k.getStatus()), primary: k.getKeyId() === primary }));
  }

  /**
   * Raw 32-byte AES key of the FIRST key in the keyset (the key it was generated with). Used only
   * as HKDF input; the first key, not the primary, so derived values survive rotation.
   */
  firstKeyMaterial(): Uint8Array {
    const first = keysetOf(this.handle).getKeyList()[0];
    const data = first?.getKeyData();
    if (!data) throw new TinkKeysetError("keyset has no key material");
    return aesGcmKeyValue(asBytes(data.getValue()));
  }

  /**
   * The AEAD primitive: encrypts with the primary key, decrypts with any ENABLED key. Tink's own
   * (WebCrypto: an async job and promise chain per call, ~0.1 ms) cost half of a memory's sealing;
   * this one runs node:crypto's AES-256-GCM synchronously on the same keys and writes exactly
   * Tink's format, so either reads what the other wrote (test/security/crypto.test.ts).
   */
  aead(): Promise<AeadPrimitive> {
    this.primitive ??= Promise.resolve(nativeAead(keysetOf(this.handle)));
    return this.primitive;
  }

  /** Tink's own primitive for the same keys (tests check the native one against it). */
  tinkAead(): Promise<AeadPrimitive> {
    return this.handle.getPrimitive(aead.Aead);
  }

  /** Adds a fresh AES-256-GCM key, enabled but NOT primary (promote it once every reader has it). */
  async withNewKey(): Promise<{ keyset: AeadKeyset; keyId: number }> {
    const existing = new Set(this.keys().map((k) => k.id));
    for (let attempt = 0; attempt < 8; attempt++) {
      // Generating a one-key keyset is the only public way to get a new key with Tink's id scheme.
      const fresh = keysetOf(await generateNewKeysetHandle(aead.aes256GcmKeyTemplate()));
      const key = fresh.getKeyList()[0];
      if (!key || existing.has(key.getKeyId())) continue; // 32-bit ids: collisions are rare but real
      const next = this.cloneKeyset();
      next.addKey(key);
      return { keyset: AeadKeyset.build(next), keyId: key.getKeyId() };
    }
    throw new TinkKeysetError("could not generate a key id that is not already in the keyset");
  }

  /** Makes an ENABLED key the primary (new ciphertexts use it). */
  withPrimary(keyId: number): AeadKeyset {
    const next = this.cloneKeyset();
    const key = findKey(next, keyId);
    if (key.getStatus() !== STATUS_ENABLED) throw new TinkKeysetError(`key ${keyId} is not enabled`);
    next.setPrimaryKeyId(keyId);
    return AeadKeyset.build(next);
  }

  /** Disables a non-primary key: its ciphertexts no longer decrypt (material is kept, so reversible). */
  withDisabled(keyId: number): AeadKeyset {
    const next = this.cloneKeyset();
    const key = findKey(next, keyId);
    if (next.getPrimaryKeyId() === keyId) throw new TinkKeysetError(`cannot disable the primary key ${keyId}`);
    key.setStatus(STATUS_DISABLED);
    return AeadKeyset.build(next);
  }

  /** Deep copy through the binary format, so changes never reach the current handle. */
  private cloneKeyset(): PbKeyset {
    return keysetOf(binaryInsecure.deserializeKeyset(this.serialize()));
  }

  private static build(keyset: PbKeyset): AeadKeyset {
    checkPolicy(keyset);
    try {
      return new AeadKeyset(new KeysetHandle(keyset)); // KeysetHandle validates the primary key
    } catch {
      throw new TinkKeysetError("invalid keyset (the primary key must exist and be enabled)");
    }
  }
}

const GCM_IV_SIZE = 12;
const GCM_TAG_SIZE = 16;

/**
 * AES-256-GCM with Tink's wire format for TINK-prefixed keys (the only kind our policy admits):
 * 0x01 ‖ key id (4 bytes, big-endian) ‖ 12-byte random IV ‖ ciphertext ‖ 16-byte tag, the
 * associated data authenticated as is. Only ENABLED keys decrypt, as in Tink's primitive set.
 */
function nativeAead(keyset: PbKeyset): AeadPrimitive {
  const enabled = new Map<number, Buffer>();
  for (const k of keyset.getKeyList()) {
    const data = k.getKeyData();
    if (k.getStatus() === STATUS_ENABLED && data)
      enabled.set(k.getKeyId(), Buffer.from(aesGcmKeyValue(asBytes(data.getValue()))));
  }
  const primaryId = keyset.getPrimaryKeyId();
  const primary = enabled.get(primaryId);
  if (!primary) throw new TinkKeysetError("the primary key must exist and be enabled");
  const prefix = Buffer.alloc(TINK_PREFIX_SIZE);
  prefix[0] = TINK_START_BYTE;
  prefix.writeUInt32BE(primaryId >>> 0, 1);
  return {
    async encrypt(plaintext, associatedData) {
      const iv = randomBytesPooled(GCM_IV_SIZE);
      const cipher = createCipheriv("aes-256-gcm", primary, iv, { authTagLength: GCM_TAG_SIZE });
      cipher.setAAD(associatedData);
      const body = cipher.update(plaintext);
      const last = cipher.final();
      return new Uint8Array(Buffer.concat([prefix, iv, body, last, cipher.getAuthTag()]));
    },
    async decrypt(ciphertext, associatedData) {
      const id = ciphertextKeyId(ciphertext);
      const key = id === undefined ? undefined : enabled.get(id);
      if (!key || ciphertext.length < TINK_PREFIX_SIZE + GCM_IV_SIZE + GCM_TAG_SIZE) {
        throw new Error("decryption failed");
      }
      const ct = Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength);
      const ivEnd = TINK_PREFIX_SIZE + GCM_IV_SIZE;
      const decipher = createDecipheriv("aes-256-gcm", key, ct.subarray(TINK_PREFIX_SIZE, ivEnd), {
        authTagLength: GCM_TAG_SIZE,
      });
      decipher.setAAD(associatedData);
      decipher.setAuthTag(ct.subarray(ct.length - GCM_TAG_SIZE));
      const body = decipher.update(ct.subarray(ivEnd, ct.length - GCM_TAG_SIZE));
      return new Uint8Array(Buffer.concat([body, decipher.final()]));
    },
  };
}

function findKey(keyset: PbKeyset, keyId: number): PbKey {
  const key = keyset.getKeyList().find((k) => k.getKeyId() === keyId);
  if (!key) throw new TinkKeysetError(`no key with id ${keyId} in the keyset`);
  return key;
}

/**
 * Key id named by a TINK-prefixed ciphertext (0x01 + 4-byte big-endian id), or undefined when the
 * bytes do not carry a TINK prefix (e.g. a plaintext row from an unencrypted deployment).
 */
export function ciphertextKeyId(ct: Uint8Array): number | undefined {
  if (ct.length <= TINK_PREFIX_SIZE || ct[0] !== TINK_START_BYTE) return undefined;
  return new DataView(ct.buffer, ct.byteOffset, ct.byteLength).getUint32(1, false);
}

// Envelope encryption (DESIGN.md §5): a master keyring (MEMORIC_KEYSET, never in the DB) wraps one
// Tink data keyset per user; the data keyset encrypts that user's columns with associated data
// naming table/column/row/user, so ciphertexts cannot be moved between cells or tenants.
import { hkdfSync } from "node:crypto";
import { AeadKeyset, ciphertextKeyId as tinkKeyId, TinkKeysetError } from "./tink.js";

/** Every decrypt/unwrap failure. The message is deliberately generic: no ciphertext, no key. */
export class DecryptionError extends Error {
  override name = "DecryptionError";
  constructor(message = "decryption failed") {
    super(message);
  }
}

/** A keyset that cannot be loaded (bad base64, not a Tink keyset, policy violation). */
export class KeysetError extends Error {
  override name = "KeysetError";
}

/** Where a ciphertext lives; all four are authenticated, none is encrypted. */
export interface AssociatedData {
  table: string;
  column: string;
  rowId: string;
  /** The owner whose data key seals it (an account's own id, or an end user's). */
  ownerId: string;
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true });

// Version tag for the AD encoding, so a future format can never collide with this one.
const AD_VERSION = utf8.encode("memoric/ad/v1");

/**
 * Unambiguous encoding: version tag, then each field as u32 big-endian byte length + UTF-8. With
 * length prefixes no choice of strings (e.g. table "a|b" vs column "b") can produce the same bytes.
 */
export function encodeAssociatedData(ad: AssociatedData): Uint8Array {
  // Every ciphertext read or written encodes one: sized first, then written once into one buffer
  // (Buffer.write encodes UTF-8 exactly as TextEncoder does, lone surrogates included).
  const parts = [ad.table, ad.column, ad.rowId, ad.ownerId];
  let size = AD_VERSION.length;
  for (const p of parts) size += 4 + Buffer.byteLength(p, "utf8");
  const out = Buffer.allocUnsafe(size);
  out.set(AD_VERSION, 0);
  let off = AD_VERSION.length;
  for (const p of parts) {
    const n = out.write(p, off + 4, "utf8");
    out.writeUInt32BE(n, off);
    off += 4 + n;
  }
  return out;
}

/**
 * The key id a ciphertext was written under (its 5-byte TINK prefix), so the rewrap job can find
 * rows still under an old key without decrypting them. Throws on bytes without the prefix.
 */
export function ciphertextKeyId(ct: Uint8Array): number {
  const id = tinkKeyId(ct);
  if (id === undefined) throw new Error("not a Tink ciphertext (missing 5-byte TINK prefix)");
  return id;
}

function wrapAd(ownerId: string): Uint8Array {
  // Binds a wrapped data key to its owner. The "user_keys|" prefix predates owners and is kept so
  // that keys wrapped before end users existed (owner id = account id) still open.
  return utf8.encode("user_keys|" + ownerId);
}

/** Shared mutable holder: public classes swap in a new immutable AeadKeyset on every change. */
abstract class KeysetHolder {
  protected constructor(protected keyset: AeadKeyset) {}

  get primaryKeyId(): number {
    return this.keyset.primaryKeyId;
  }

  keys(): { id: number; status: "enabled" | "disabled"; primary: boolean }[] {
    // Our keysets never contain destroyed/unknown keys (we don't create them); map defensively.
    return this.keyset
      .keys()
      .map((k) => ({ id: k.id, status: k.status === "enabled" ? "enabled" : "disabled", primary: k.primary }));
  }

  protected async seal(plaintext: Uint8Array, ad: Uint8Array): Promise<Uint8Array> {
    return (await this.keyset.aead()).encrypt(plaintext, ad);
  }

  protected async open(ct: Uint8Array, ad: Uint8Array): Promise<Uint8Array> {
    const aead = await this.keyset.aead();
    try {
      return await aead.decrypt(ct, ad);
    } catch {
      // Tink throws SecurityException with details such as "decryption failed"; normalize so
      // callers have one type to catch and nothing sensitive reaches logs.
      throw new DecryptionError();
    }
  }

  protected static load(bytes: Uint8Array, what: string): AeadKeyset {
    try {
      return AeadKeyset.parse(bytes);
    } catch (e) {
      const why = e instanceof TinkKeysetError ? e.message : "not a valid Tink binary keyset";
      throw new KeysetError(`${what}: ${why}`);
    }
  }
}

/** The master keyset (MEMORIC_KEYSET). Only ever wraps/unwraps user data keysets. */
export class MasterKeyring extends KeysetHolder {
  static async generate(): Promise<MasterKeyring> {
    return new MasterKeyring(await AeadKeyset.generate());
  }

  /** Base64 (standard or url-safe) of Tink's binary keyset, as stored in MEMORIC_KEYSET. */
  static async fromBase64(b64: string): Promise<MasterKeyring> {
    const what = "MEMORIC_KEYSET is not a valid keyset (expected base64 of a Tink binary AES-256-GCM keyset)";
    const clean = b64.trim();
    // Buffer.from(…, "base64") silently skips junk, so validate the alphabet ourselves.
    if (clean === "" || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(clean)) throw new KeysetError(`${what}: not base64`);
    const ring = new MasterKeyring(KeysetHolder.load(new Uint8Array(Buffer.from(clean, "base64")), what));
    try {
      await ring.keyset.aead(); // fail at startup, not at the first request
    } catch {
      throw new KeysetError(`${what}: keys cannot be used for AEAD`);
    }
    return ring;
  }

  toBase64(): string {
    return Buffer.from(this.keyset.serialize()).toString("base64");
  }

  /** Adds a new AES-256-GCM key, enabled but not primary. Returns its id. */
  async addKey(): Promise<number> {
    const { keyset, keyId } = await this.keyset.withNewKey();
    this.keyset = keyset;
    return keyId;
  }

  /** New wraps use this key; old wrapped keys keep unwrapping while their key is enabled. */
  promote(keyId: number): void {
    this.keyset = this.rethrow(() => this.keyset.withPrimary(keyId));
  }

  /** After `memoric keys rewrap`: data keys wrapped under keyId stop unwrapping. */
  disable(keyId: number): void {
    this.keyset = this.rethrow(() => this.keyset.withDisabled(keyId));
  }

  async wrapDataKey(dataKeyset: Uint8Array, ownerId: string): Promise<Uint8Array> {
    return this.seal(dataKeyset, wrapAd(ownerId));
  }

  async unwrapDataKey(wrapped: Uint8Array, ownerId: string): Promise<Uint8Array> {
    return this.open(wrapped, wrapAd(ownerId));
  }

  private rethrow(f: () => AeadKeyset): AeadKeyset {
    try {
      return f();
    } catch (e) {
      throw new KeysetError(e instanceof TinkKeysetError ? e.message : "invalid key operation");
    }
  }
}

const BLIND_INDEX_INFO = utf8.encode("memoric/blind-index/v1");

/** One owner's data keyset (stored wrapped in owners.wrapped_key). */
export class DataKey extends KeysetHolder {
  private indexKey?: Uint8Array;

  static async generate(): Promise<DataKey> {
    return new DataKey(await AeadKeyset.generate());
  }

  /** Parses the bytes returned by MasterKeyring.unwrapDataKey (Tink binary keyset). */
  static async fromBytes(b: Uint8Array): Promise<DataKey> {
    return new DataKey(KeysetHolder.load(b, "invalid data keyset"));
  }

  toBytes(): Uint8Array {
    return this.keyset.serialize();
  }

  /** Primary key id: the id new ciphertexts carry in their prefix. */
  get keyId(): number {
    return this.keyset.primaryKeyId;
  }

  /** Per-user rotation: adds a key and makes it primary at once (the user's keyset is one row). */
  async addKeyAndPromote(): Promise<number> {
    const { keyset, keyId } = await this.keyset.withNewKey();
    this.keyset = keyset.withPrimary(keyId);
    return keyId;
  }

  async encrypt(plaintext: string | Uint8Array, ad: AssociatedData): Promise<Uint8Array> {
    const bytes = typeof plaintext === "string" ? utf8.encode(plaintext) : plaintext;
    return this.seal(bytes, encodeAssociatedData(ad));
  }

  async decrypt(ct: Uint8Array, ad: AssociatedData): Promise<Uint8Array> {
    return this.open(ct, encodeAssociatedData(ad));
  }

  async decryptText(ct: Uint8Array, ad: AssociatedData): Promise<string> {
    const bytes = await this.decrypt(ct, ad);
    try {
      return utf8Strict.decode(bytes);
    } catch {
      throw new DecryptionError();
    }
  }

  /**
   * 32-byte HMAC key for the blind index: HKDF-SHA256(first key's AES key, info
   * "memoric/blind-index/v1"). Derived from the keyset's first key rather than the primary so
   * addKeyAndPromote() does not invalidate every stored term hash; a compromised data key
   * therefore needs a new DataKey (re-encrypt + reindex), not a rotation.
   */
  blindIndexKey(): Uint8Array {
    this.indexKey ??= new Uint8Array(
      hkdfSync("sha256", this.keyset.firstKeyMaterial(), new Uint8Array(0), BLIND_INDEX_INFO, 32),
    );
    return this.indexKey.slice(); // a copy: callers cannot corrupt the cache
  }
}

/**
 * Per-user data keys (envelope encryption, DESIGN.md §5). A user's data keyset is created lazily on
 * their first write, wrapped by the master keyring and stored in user_keys; unwrapped keys are kept
 * in a bounded in-process LRU so a request normally costs no key query and no unwrap.
 *
 * Decision (blind index with encryption off): every writing user gets a data key even when
 * MEMORIC_ENCRYPTION=off, because the blind index key is derived from it. It is wrapped whenever a
 * master keyring exists; only with encryption off AND no keyset configured is it stored in clear
 * (master_key_id null) — such a deployment stores content in clear anyway — and `keys rewrap`
 * wraps it later. The index key therefore never changes when encryption is turned on.
 *
 * The cache belongs to the UserKeys instance (one per AppContext): two servers in one process never
 * share unwrapped keys, and whoever erases a user drops the entry through the same instance.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { DecryptionTarget, Metrics } from "../metrics/metrics.js";
import { ciphertextKeyId, DataKey, DecryptionError, type MasterKeyring } from "../security/crypto.js";
import type { Sql } from "./database.js";
import { inTx, userContext, type Tx, type TxOptions } from "./tx.js";

/** A small LRU: Map keeps insertion order, so re-inserting on hit makes the first key the oldest. */
class Lru<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max: number) {}
  get(k: K): V | undefined {
    const v = this.map.get(k);
    if (v !== undefined) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  set(k: K, v: V): void {
    this.map.delete(k);
    this.map.set(k, v);
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value as K);
  }
  delete(k: K): void {
    this.map.delete(k);
  }
}

function keyUnavailable(): ConnectError {
  return new ConnectError("encryption key unavailable", Code.FailedPrecondition);
}

export class UserKeys {
  private readonly cache = new Lru<string, DataKey>(10_000);

  constructor(
    private readonly keyring: MasterKeyring | undefined,
    private readonly metrics?: Pick<Metrics, "decryptionFailed">,
  ) {}

  /** Forgets a user's unwrapped data key (erasure, or a decrypt failure). */
  forget(userId: string): void {
    this.cache.delete(userId);
  }

  /** Counts stored data that could not be decrypted (the DataLoss answers). */
  decryptionFailed(what: DecryptionTarget): void {
    this.metrics?.decryptionFailed(what);
  }

  /** Unwraps a user_keys row. Throws ConnectError(DataLoss) when the master keyring cannot. */
  async unwrap(userId: string, wrapped: Uint8Array, masterKeyId: string | null): Promise<DataKey> {
    try {
      if (masterKeyId === null) return await DataKey.fromBytes(wrapped);
      if (!this.keyring) throw keyUnavailable();
      return await DataKey.fromBytes(await this.keyring.unwrapDataKey(wrapped, userId));
    } catch (err) {
      if (err instanceof ConnectError) throw err;
      // Wrong/disabled master key or a tampered row: never echo bytes, one generic message.
      this.decryptionFailed("data_key");
      throw new ConnectError(
        "stored key could not be decrypted",
        Code.DataLoss,
        undefined,
        undefined,
        err instanceof DecryptionError ? undefined : err,
      );
    }
  }

  /** Wraps a data key for storage: [bytes, master key id] (id null when no keyring is configured). */
  async wrap(userId: string, key: DataKey): Promise<[Uint8Array, number | null]> {
    if (!this.keyring) return [key.toBytes(), null];
    const wrapped = await this.keyring.wrapDataKey(key.toBytes(), userId);
    return [wrapped, ciphertextKeyId(wrapped)];
  }

  /**
   * The user's key inside an existing transaction: cache, else user_keys. undefined when the user
   * has never written (nothing of theirs can exist). Never creates: creation must commit on its own.
   */
  async load(tx: Tx, userId: string, fresh = false): Promise<DataKey | undefined> {
    if (!fresh) {
      const hit = this.cache.get(userId);
      if (hit) return hit;
    }
    const rows = await tx<{ wrapped_key: Uint8Array; master_key_id: string | null }[]>`
      select wrapped_key, master_key_id from user_keys where user_id = ${userId}`;
    const row = rows[0];
    if (!row) return undefined;
    const key = await this.unwrap(userId, row.wrapped_key, row.master_key_id);
    this.cache.set(userId, key);
    return key;
  }

  /**
   * The user's key, creating it on first use in a transaction of its own, so a cached key always
   * exists in the database (caching a key whose insert later rolled back would make every row
   * written with it unreadable). Call outside any transaction: embedded mode has one connection.
   */
  async ensure(sql: Sql, userId: string, opts?: TxOptions): Promise<DataKey> {
    const hit = this.cache.get(userId);
    if (hit) return hit;
    const existing = await inTx(sql, userContext(userId), (tx) => this.load(tx, userId, true), opts);
    if (existing) return existing;
    const fresh = await DataKey.generate();
    const [wrapped, masterKeyId] = await this.wrap(userId, fresh);
    // Two first writes may race: ON CONFLICT keeps the first committed key and both use it.
    return inTx(
      sql,
      userContext(userId),
      async (tx) => {
        const inserted = await tx`
        insert into user_keys (user_id, wrapped_key, master_key_id) values (${userId}, ${wrapped}, ${masterKeyId})
        on conflict (user_id) do nothing returning user_id`;
        if (inserted.length === 0) {
          const other = await this.load(tx, userId, true);
          if (!other) throw keyUnavailable();
          return other;
        }
        // Cached only after commit (see above).
        return fresh;
      },
      opts,
    ).then((key) => {
      this.cache.set(userId, key);
      return key;
    });
  }
}

/**
 * Per-owner data keys (envelope encryption, DESIGN.md §5, §9). An account's own keyset is created
 * lazily on its first write, an end user's with the end user; each is wrapped by the master keyring
 * and stored in owners.wrapped_key; unwrapped keys are kept
 * in a bounded in-process LRU so a request normally costs no key query and no unwrap.
 *
 * Decision (blind index with encryption off): every writing owner gets a data key even when
 * MEMORIC_ENCRYPTION=off, because the blind index key is derived from it. It is wrapped whenever a
 * master keyring exists; only with encryption off AND no keyset configured is it stored in clear
 * (master_key_id null) — such a deployment stores content in clear anyway — and `keys rewrap`
 * wraps it later. The index key therefore never changes when encryption is turned on.
 *
 * The cache belongs to the OwnerKeys instance (one per AppContext): two servers in one process never
 * share unwrapped keys, and whoever erases a user drops the entry through the same instance.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { DecryptionTarget, Metrics } from "../metrics/metrics.js";
import { ciphertextKeyId, DataKey, DecryptionError, type MasterKeyring } from "../security/crypto.js";
import type { Sql } from "./database.js";
import { inTx, userContext, type Tx, type TxOptions } from "./tx.js";
import { Lru } from "../domain/lru.js";

function keyUnavailable(): ConnectError {
  return new ConnectError("encryption key unavailable", Code.FailedPrecondition);
}

export class OwnerKeys {
  private readonly cache = new Lru<string, DataKey>(10_000);

  constructor(
    private readonly keyring: MasterKeyring | undefined,
    private readonly metrics?: Pick<Metrics, "decryptionFailed">,
  ) {}

  /** End users' external ids by owner id (immutable while the end user exists; dropped on erasure). */
  private readonly externalIds = new Lru<string, string>(10_000);

  /** Forgets an owner's unwrapped data key and external id (erasure, or a decrypt failure). */
  forget(ownerId: string): void {
    this.cache.delete(ownerId);
    this.externalIds.delete(ownerId);
  }

  /** Counts stored data that could not be decrypted (the DataLoss answers). */
  decryptionFailed(what: DecryptionTarget): void {
    this.metrics?.decryptionFailed(what);
  }

  /** Unwraps an owners row's key. Throws ConnectError(DataLoss) when the master keyring cannot. */
  async unwrap(ownerId: string, wrapped: Uint8Array, masterKeyId: string | null): Promise<DataKey> {
    try {
      if (masterKeyId === null) return await DataKey.fromBytes(wrapped);
      if (!this.keyring) throw keyUnavailable();
      return await DataKey.fromBytes(await this.keyring.unwrapDataKey(wrapped, ownerId));
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
  async wrap(ownerId: string, key: DataKey): Promise<[Uint8Array, number | null]> {
    if (!this.keyring) return [key.toBytes(), null];
    const wrapped = await this.keyring.wrapDataKey(key.toBytes(), ownerId);
    return [wrapped, ciphertextKeyId(wrapped)];
  }

  /**
   * The owner's key inside an existing transaction: cache, else owners. undefined when the owner has
   * no key (an account that never wrote; an erased end user): nothing of theirs can exist. Never creates.
   */
  async load(tx: Tx, ownerId: string, fresh = false): Promise<DataKey | undefined> {
    if (!fresh) {
      const hit = this.cache.get(ownerId);
      if (hit) return hit;
    }
    const rows = await tx<{ wrapped_key: Uint8Array | null; master_key_id: string | null }[]>`
      select wrapped_key, master_key_id from owners where id = ${ownerId}`;
    const row = rows[0];
    if (!row?.wrapped_key) return undefined;
    const key = await this.unwrap(ownerId, row.wrapped_key, row.master_key_id);
    this.cache.set(ownerId, key);
    return key;
  }

  /**
   * The account's own data key (its self owner), created on first use in a transaction of its own,
   * so a cached key always exists in the database (caching a key whose insert later rolled back
   * would make every row written with it unreadable). Call outside any transaction: embedded mode
   * has one connection. End users get their key when they are created (store/end-users.ts).
   */
  async ensure(sql: Sql, accountId: string, opts?: TxOptions): Promise<DataKey> {
    const hit = this.cache.get(accountId);
    if (hit) return hit;
    const context = userContext(accountId, accountId);
    const existing = await inTx(sql, context, (tx) => this.load(tx, accountId, true), opts);
    if (existing) return existing;
    const fresh = await DataKey.generate();
    const [wrapped, masterKeyId] = await this.wrap(accountId, fresh);
    // Two first writes may race: the first committed key wins and both use it.
    return inTx(
      sql,
      context,
      async (tx) => {
        const stored = await tx`
        insert into owners (id, account_id, wrapped_key, master_key_id)
        values (${accountId}, ${accountId}, ${wrapped}, ${masterKeyId})
        on conflict (id) do update
          set wrapped_key = excluded.wrapped_key, master_key_id = excluded.master_key_id, updated_at = now()
          where owners.wrapped_key is null
        returning id`;
        if (stored.length === 0) {
          const other = await this.load(tx, accountId, true);
          if (!other) throw keyUnavailable();
          return other;
        }
        // Cached only after commit (see above).
        return fresh;
      },
      opts,
    ).then((key) => {
      this.cache.set(accountId, key);
      return key;
    });
  }

  /** The owner's key if this instance holds it unwrapped (no database access). */
  cached(ownerId: string): DataKey | undefined {
    return this.cache.get(ownerId);
  }

  externalId(ownerId: string): string | undefined {
    return this.externalIds.get(ownerId);
  }

  rememberExternalId(ownerId: string, externalId: string): void {
    this.externalIds.set(ownerId, externalId);
  }

  /** Remembers a key whose row has just committed (a new end user's). */
  remember(ownerId: string, key: DataKey): void {
    this.cache.set(ownerId, key);
  }
}

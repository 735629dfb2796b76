/**
 * Memory vectors at rest and in the per-process index (DESIGN.md §6 "Vectors"). A vector is
 * float32 LE bytes encrypted with the owner's data key, associated data ("memory_vectors",
 * "vector:<model>", memory id, owner): a ciphertext copied to another memory, owner or model fails to
 * decrypt. It is never stored in clear, not even with MEMORIC_ENCRYPTION off.
 *
 * Search decrypts an owner's ready vectors once into an index kept in a byte-bounded LRU. Every
 * change to an owner's ready set moves memory_vector_versions.version (a sequence value) in the same
 * transaction; each search compares it with the cached index's, so every replica sees writes of the
 * others at its next search.
 */
import type { Config } from "../config.js";
import { WeightedLru } from "../domain/lru.js";
import { buildIndex, decodeVector, encodeVector, indexBytes, type VectorIndex } from "../domain/vectors.js";
import { DecryptionError, type AssociatedData, type DataKey } from "../security/crypto.js";
import type { MemoryStoreDeps } from "./memory-deps.js";
import { withDataKey } from "./memory-rows.js";
import type { Owner } from "./owner.js";
import type { Tx } from "./tx.js";

type Fragment = ReturnType<Tx>;

/** What vectors this server keeps: undefined when off (MEMORIC_EMBEDDINGS_DIMENSIONS = 0). */
export interface VectorSettings {
  /** The label bound into each ciphertext: the configured model, or "client" without one. */
  model: string;
  dims: number;
  /** A provider is configured: memories without a client vector wait for the backfill. */
  provider: boolean;
}

export function vectorSettings(cfg: Pick<Config, "memory">): VectorSettings | undefined {
  const e = cfg.memory.embeddings;
  if (e.dimensions <= 0) return undefined;
  return { model: e.model || "client", dims: e.dimensions, provider: e.url !== undefined };
}

/** A new memory's vector row: waiting for the backfill, or sealed already (a client's vector). */
export interface VectorPlan {
  state: "pending" | "ready";
  ct: Uint8Array | null;
  model: string;
  dims: number;
}

function vectorAd(ownerId: string, memoryId: string, model: string): AssociatedData {
  return { table: "memory_vectors", column: `vector:${model}`, rowId: memoryId, ownerId };
}

export async function sealVector(
  key: DataKey,
  ownerId: string,
  memoryId: string,
  model: string,
  v: ArrayLike<number>,
): Promise<Uint8Array> {
  return key.encrypt(encodeVector(v), vectorAd(ownerId, memoryId, model));
}

/** The plan for a new memory: its client vector sealed, else pending when a provider is configured. */
export async function planVector(
  settings: VectorSettings | undefined,
  key: DataKey,
  ownerId: string,
  memoryId: string,
  embedding: ArrayLike<number> | undefined,
): Promise<VectorPlan | undefined> {
  if (!settings) return undefined;
  const base = { model: settings.model, dims: settings.dims };
  if (embedding && embedding.length > 0) {
    return { state: "ready", ct: await sealVector(key, ownerId, memoryId, settings.model, embedding), ...base };
  }
  return settings.provider ? { state: "pending", ct: null, ...base } : undefined;
}

/** Moves the owner's vector version (a data-modifying CTE); with `when`, only if that query yields a row. */
export function bumpVectorVersion(tx: Tx, owner: Owner, when?: Fragment): Fragment {
  return tx`
    insert into memory_vector_versions (owner_id, account_id, version)
    select ${owner.ownerId}::uuid, ${owner.accountId}::uuid, nextval('memory_vector_version_seq')
    ${when ? tx`where exists (${when})` : tx``}
    on conflict (owner_id) do update set version = excluded.version`;
}

/** After deleting memories: moves the version only if the owner has vectors at all (a CTE). */
export function bumpIfVectors(tx: Tx, owner: Owner, gone: Fragment): Fragment {
  return tx`
    update memory_vector_versions set version = nextval('memory_vector_version_seq')
    where owner_id = ${owner.ownerId} and exists (${gone})`;
}

/**
 * Inserts the vector rows of new memories (a CTE after `ins`, the insert returning the new ids); their
 * ready ones (or `alsoSupersedes`) move the version. `items`: [memory id, plan].
 */
export function insertVectorsCte(
  tx: Tx,
  owner: Owner,
  items: ReadonlyArray<readonly [string, VectorPlan]>,
  alsoSupersedes = false,
): Fragment {
  const ids = items.map(([id]) => id);
  const hex = items.map(([, p]) => (p.ct ? Buffer.from(p.ct).toString("hex") : null));
  // One bump per statement (a row may not be updated twice by one statement): new ready vectors, or
  // memories this statement supersedes, leaving the index.
  const moves = alsoSupersedes || items.some(([, p]) => p.state === "ready");
  const bump = moves ? tx`, vbump as (${bumpVectorVersion(tx, owner)})` : tx``;
  return tx`, vectors as (
      insert into memory_vectors (owner_id, memory_id, account_id, memory_version, state, model, dims, ciphertext)
      select ${owner.ownerId}::uuid, v.id, ${owner.accountId}::uuid, 1, v.state, v.model, v.dims, decode(v.ct, 'hex')
      from unnest(${ids}::uuid[], ${items.map(([, p]) => p.state)}::text[], ${items.map(([, p]) => p.model)}::text[],
                  ${items.map(([, p]) => p.dims)}::int[], ${hex}::text[]) as v(id, state, model, dims, ct)
      where v.id in (select id from ins)
    ) ${bump}`;
}

/**
 * The memory's content changed (to `version`): its vector is stale. Pending again when a provider
 * will re-embed it, else removed; either way the owner's version moves.
 */
export async function resetVector(
  tx: Tx,
  settings: VectorSettings | undefined,
  owner: Owner,
  id: string,
  version: number,
): Promise<void> {
  if (!settings) return;
  if (settings.provider) {
    await tx`
      with up as (
        insert into memory_vectors (owner_id, memory_id, account_id, memory_version, state, model, dims)
        values (${owner.ownerId}, ${id}, ${owner.accountId}, ${version}, 'pending', ${settings.model}, ${settings.dims})
        on conflict (owner_id, memory_id) do update set memory_version = excluded.memory_version, state = 'pending',
          attempts = 0, next_attempt_at = now(), model = excluded.model, dims = excluded.dims, ciphertext = null,
          updated_at = now()
      ), vbump as (${bumpVectorVersion(tx, owner)})
      select 1`;
  } else {
    await tx`
      with gone as (delete from memory_vectors where owner_id = ${owner.ownerId} and memory_id = ${id} returning 1),
      vbump as (${bumpIfVectors(tx, owner, tx`select 1 from gone`)})
      select 1`;
  }
}

interface CachedIndex {
  version: string;
  model: string;
  index: VectorIndex;
}

/** Decrypted vector indexes of recently searched owners, bounded by MEMORIC_VECTOR_CACHE_MB. */
export class VectorCache {
  readonly #lru: WeightedLru<string, CachedIndex>;
  constructor(budgetBytes: number) {
    this.#lru = new WeightedLru(budgetBytes);
  }
  get(ownerId: string): CachedIndex | undefined {
    return this.#lru.get(ownerId);
  }
  set(ownerId: string, entry: CachedIndex): void {
    this.#lru.set(ownerId, entry, indexBytes(entry.index));
  }
  /** Drops an owner's index (erasure: its plaintext vectors leave this process at once). */
  forget(ownerId: string): void {
    this.#lru.delete(ownerId);
  }
  get bytes(): number {
    return this.#lru.weight;
  }
}

export interface VectorDeps extends MemoryStoreDeps {
  vectors?: VectorCache;
}

/**
 * The owner's index of ready vectors (of the configured model and length), from the cache when its
 * version is current, else decrypted from the database (and cached when it fits the budget).
 * undefined: the owner has no vectors.
 */
export async function loadIndex(
  deps: VectorDeps,
  tx: Tx,
  owner: Owner,
  settings: VectorSettings,
): Promise<VectorIndex | undefined> {
  const [v] = await tx<{ version: string }[]>`
    select version::text from memory_vector_versions where owner_id = ${owner.ownerId}`;
  if (!v) {
    deps.vectors?.forget(owner.ownerId);
    return undefined;
  }
  const hit = deps.vectors?.get(owner.ownerId);
  if (hit && hit.version === v.version && hit.model === settings.model && hit.index.dims === settings.dims) {
    return hit.index;
  }
  // Read after the version: a write committed in between makes the index newer than its version,
  // which only costs a reload at the next search (never a stale index kept as current).
  // Live memories only (search never returns a superseded one): their slots among the dense candidates
  // go to memories that can be returned.
  const rows = await tx<{ memory_id: string; ciphertext: Uint8Array }[]>`
    select v.memory_id, v.ciphertext from memory_vectors v
    where v.owner_id = ${owner.ownerId} and v.state = 'ready' and v.model = ${settings.model}
      and v.dims = ${settings.dims}
      and not exists (select 1 from memories m
                      where m.owner_id = ${owner.ownerId} and m.id = v.memory_id and m.superseded_by is not null)`;
  const vectors = await withDataKey(tx, deps.keys, deps.logger, owner.ownerId, "memory_vector", async (key) => {
    if (!key) throw new DecryptionError();
    return Promise.all(
      rows.map(async (r) => {
        const bytes = await key.decrypt(r.ciphertext, vectorAd(owner.ownerId, r.memory_id, settings.model));
        const vector = decodeVector(bytes);
        if (vector.length !== settings.dims) throw new DecryptionError();
        return { id: r.memory_id, vector };
      }),
    );
  });
  const index = buildIndex(settings.dims, vectors);
  deps.vectors?.set(owner.ownerId, { version: v.version, model: settings.model, index });
  return index;
}

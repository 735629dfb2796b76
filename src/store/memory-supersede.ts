/**
 * CreateMemory's supersession and de-duplication, without a model: a new memory may name the older
 * memories it replaces (they get superseded_by and leave search and context; history, listing and
 * export keep them), and a new memory with the same set of index terms as a live one (compared by
 * their keyed fingerprints, memories.terms_hash) is reported as its duplicate and, when asked,
 * merged into it instead of being stored twice.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { MemoryStoreDeps } from "./memory-deps.js";
import { createdRecords, getMemory, ownerErased, type CreateResult } from "./memories.js";
import { bumpIfVectors } from "./memory-vectors.js";
import { insertOne, type PreparedMemory } from "./memory-write.js";
import { threadPin, type Owner } from "./owner.js";
import type { Tx } from "./tx.js";
import { overlay } from "../domain/objects.js";

export interface CreateOptions {
  /** Ids of the owner's memories the new one replaces. */
  supersedes: string[];
  /** Merge into a live duplicate instead of storing a second memory. */
  dedupe: boolean;
}

export interface CreateOneResult extends CreateResult {
  /** A live memory with the same terms, if any. */
  duplicateOf: string | undefined;
  /** True when the new memory was merged into duplicateOf (nothing new stored). */
  merged: boolean;
  superseded: number;
}

/** The most recent live memory of the owner with this term fingerprint, other than `exclude`. */
async function findDuplicate(
  tx: Tx,
  owner: Owner,
  fingerprint: Buffer,
  exclude: string[],
): Promise<string | undefined> {
  const rows = await tx<{ id: string }[]>`
    select m.id from memories m
    where m.owner_id = ${owner.ownerId} and m.terms_hash = ${fingerprint} and m.superseded_by is null
      and m.id <> all(${exclude}::uuid[]) ${threadPin(tx, owner)}
    order by m.updated_at desc, m.id desc limit 1`;
  return rows[0]?.id;
}

/** Marks `ids` superseded by `by`; NotFound (and nothing written, the caller's transaction fails) unless all exist. */
async function supersede(tx: Tx, owner: Owner, by: string, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  if (ids.includes(by)) throw new ConnectError("a memory cannot supersede itself", Code.InvalidArgument);
  // The vector index holds live memories only: superseding moves the owner's vector version.
  const rows = await tx<{ id: string }[]>`
    with up as (
      update memories m set superseded_by = ${by}
      where m.owner_id = ${owner.ownerId} and m.id = any(${ids}::uuid[]) ${threadPin(tx, owner)}
      returning m.id
    ), vbump as (${bumpIfVectors(tx, owner, tx`select 1 from up`)})
    select id from up`;
  if (rows.length !== ids.length) throw new ConnectError("a superseded memory was not found", Code.NotFound);
  return rows.length;
}

/** Creates one memory with CreateMemory's options, inside tx. */
export async function createMemoryWithOptions(
  deps: MemoryStoreDeps,
  tx: Tx,
  owner: Owner,
  prepared: PreparedMemory,
  opts: CreateOptions,
): Promise<CreateOneResult> {
  const fingerprint = prepared.terms.fingerprint;
  const duplicateOf =
    opts.dedupe && fingerprint ? await findDuplicate(tx, owner, fingerprint, opts.supersedes) : undefined;
  if (duplicateOf) {
    // Merge: the existing memory stays; it becomes as important (and pinned) as either, and recent.
    await tx`
      update memories set importance = greatest(importance, ${prepared.importance}),
        pinned = pinned or ${prepared.input.pinned ?? false}, updated_at = now()
      where owner_id = ${owner.ownerId} and id = ${duplicateOf}`;
    const superseded = await supersede(tx, owner, duplicateOf, opts.supersedes);
    const memory = await getMemory(deps, tx, owner, duplicateOf);
    return { memories: [memory], replayed: [false], duplicateOf, merged: true, superseded };
  }
  // One statement: the insert, the duplicate look-up and the supersession (without dedupe, the
  // caller's audit row rides right behind it: createOutcome).
  const one = await insertOne(tx, owner, prepared, opts.supersedes).catch(ownerErased(deps, owner));
  if (one.inserted.size > 0 && one.superseded !== opts.supersedes.length) {
    throw new ConnectError("a superseded memory was not found", Code.NotFound);
  }
  const result = await createdRecords(deps, tx, owner, [prepared], one.inserted);
  return overlay(result, { duplicateOf: one.duplicateOf, merged: false, superseded: one.superseded });
}

/**
 * Whose memories a store call touches (DESIGN.md §9, §11). The owner id is the distribution key:
 * every statement on a tenant table names it explicitly (RLS checks it a second time).
 */
import type { Tx } from "./tx.js";

export interface Owner {
  /** The account (tenant): the credential's. */
  accountId: string;
  /** The account's own id for its own memories, or an end user's internal id. */
  ownerId: string;
  /** A delegated token's thread pin: the call sees and writes only this thread's memories. */
  threadId?: string | undefined;
}

/** The account's own memories. */
export function selfOwner(accountId: string): Owner {
  return { accountId, ownerId: accountId };
}

/** `and m.thread_id = …` when the call is pinned to a thread, else nothing (memories aliased m). */
export function threadPin(tx: Tx, owner: Owner) {
  return owner.threadId === undefined ? tx`` : tx`and m.thread_id = ${owner.threadId}`;
}

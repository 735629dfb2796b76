/** What a delegated token's thread pin means for memory requests (DESIGN.md §9). */
import { Code, ConnectError } from "@connectrpc/connect";
import type { NewMemory } from "../../store/memories.js";
import { assertThreadAllowed, type CallOwner } from "../owners.js";
import { overlay } from "../../domain/objects.js";

/** A new memory under a thread pin lands in that thread; naming another is PermissionDenied. */
export function inThread(owner: CallOwner, input: NewMemory): NewMemory {
  if (owner.threadId === undefined) return input;
  assertThreadAllowed(owner, input.threadId);
  return overlay(input, { threadId: owner.threadId });
}

/** Clusters summarise every thread of the owner: a thread-pinned token may not see or rebuild them. */
export function clustersOwner(owner: CallOwner): CallOwner {
  if (owner.threadId !== undefined) {
    throw new ConnectError("a thread-scoped token cannot use clusters", Code.PermissionDenied);
  }
  return owner;
}

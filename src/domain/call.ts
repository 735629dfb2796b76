/**
 * What one call knows about itself, as typed connect context values. Each value has one writer,
 * named on its key; anyone may read. The values live in one per-call
 * ContextValues object shared by the interceptors and the handler, so an outer interceptor reads
 * after next() what an inner layer set.
 */
import { createContextKey, type ContextValues } from "@connectrpc/connect";
import type { Permission, RoleName } from "./permissions.js";

/** What a delegated end-user token pins a call to (DESIGN.md §9). */
interface EndUserPin {
  /** The end user's internal id (their owner id). */
  ownerId: string;
  /** When set, the call sees and writes only this thread's memories. */
  threadId: string | undefined;
}

export interface Principal {
  /** "end_user": a delegated token (IssueEndUserToken), pinned to one end user of the account. */
  type: "user" | "api_key" | "end_user";
  /** The account (tenant) the credential belongs to. */
  userId: string;
  username: string;
  roles: RoleName[];
  /** Effective permissions of this credential (an API key may carry fewer than its owner). */
  permissions: ReadonlySet<Permission>;
  /** Session id (JWT sid) or API key id: what revocation acts on, safe to log. */
  sessionId: string;
  /** JWT jti or API key id. */
  credentialId: string;
  /** Set only for type "end_user": the call may touch nothing but this end user (and thread). */
  pinned?: EndUserPin;
}

/** Facts about the call that go into audit rows and logs. */
export interface CallInfo {
  principal: Principal | undefined;
  requestId: string;
  clientAddress: string;
  userAgent: string;
  /** "memoric.v1.MemoryService" and "CreateMemory". */
  service: string;
  method: string;
  /** The internal id of the end user the call acts for, if any (never the external id). */
  endUser?: string | undefined;
}

/** Set by the server's contextValues (server/app.ts) from the transport. */
export const requestIdKey = createContextKey<string>("", { description: "request id" });
export const clientAddressKey = createContextKey<string>("", { description: "client address from the socket" });
export const userAgentKey = createContextKey<string>("", { description: "user agent" });

/** Set by the authentication interceptor, from a credential only (never from a request field). */
export const principalKey = createContextKey<Principal | undefined>(undefined, { description: "principal" });

/**
 * Set by services/owners.ts once the call's owner is resolved: the internal id of the end user it acts
 * for (a delegated token's pin, or the request's end_user_id). Audit rows name it.
 */
export const endUserKey = createContextKey<string | undefined>(undefined, { description: "end user acted for" });

/** Set by the deadline interceptor: the call's absolute deadline (ms since epoch), if it has one. */
export const deadlineKey = createContextKey<number | undefined>(undefined, { description: "deadline" });

/**
 * Set by services/audited-tx.ts once a transaction that appended the call's audit row has committed:
 * the audit interceptor then writes no outcome row of its own.
 */
export const auditWrittenKey = createContextKey<boolean>(false, { description: "audit row written by the handler" });

/**
 * What a read's outcome row says besides its event: ids and counts only, never content. Empty when
 * the row needs nothing beyond the call itself.
 */
export interface ReadOutcome {
  resourceType?: string;
  resourceId?: string;
  details?: Record<string, unknown>;
}

/**
 * Set by services/audited-tx.ts (withReadTx, describeRead): the read's description, evaluated by the
 * audit interceptor when the call ends (a stream's counts are final only then). A streamed read sets
 * the same description once per page.
 */
export const readOutcomeKey = createContextKey<(() => ReadOutcome) | undefined>(undefined, {
  description: "read outcome for the audit row",
});

export function callInfoOf(values: ContextValues, service: string, method: string): CallInfo {
  return {
    principal: values.get(principalKey),
    requestId: values.get(requestIdKey),
    clientAddress: values.get(clientAddressKey),
    userAgent: values.get(userAgentKey),
    service,
    method,
    endUser: values.get(endUserKey) ?? values.get(principalKey)?.pinned?.ownerId,
  };
}

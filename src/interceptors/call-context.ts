/**
 * What one call knows about itself, shared by interceptors and handlers through context values:
 * the verified principal (set only by the authentication interceptor, from a credential — never
 * from a request field) and what the handler reports for the audit trail.
 */
import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import { unauthenticatedError } from "../domain/error-info.js";
import type { AuditEventType } from "../domain/audit-events.js";
import type { Permission, RoleName } from "../domain/permissions.js";
import { clientAddressKey, requestIdKey, userAgentKey } from "./request-context.js";

export interface Principal {
  type: "user" | "api_key";
  userId: string;
  username: string;
  roles: RoleName[];
  /** Effective permissions of this credential (an API key may carry fewer than its owner). */
  permissions: ReadonlySet<Permission>;
  /** Session id (JWT sid) or API key id: what revocation acts on, safe to log. */
  sessionId: string;
  /** JWT jti or API key id. */
  credentialId: string;
}

export interface CallState {
  principal?: Principal;
  /** Set by a handler that wrote its own audit row inside its transaction. */
  audited: boolean;
  /** Optional refinements a handler gives the audit interceptor for the outcome row. */
  eventType?: AuditEventType;
  resourceType?: string;
  resourceId?: string;
  details?: Record<string, unknown>;
}

export const callStateKey = createContextKey<CallState | undefined>(undefined, { description: "per-call state" });

/** Facts about the call that go into audit rows and logs. */
export interface CallInfo {
  principal: Principal | undefined;
  requestId: string;
  clientAddress: string;
  userAgent: string;
  /** "memoric.v1.MemoryService" and "CreateMemory". */
  service: string;
  method: string;
}

export function callState(ctx: HandlerContext): CallState {
  let state = ctx.values.get(callStateKey);
  if (!state) {
    state = { audited: false };
    ctx.values.set(callStateKey, state);
  }
  return state;
}

export function callInfo(ctx: HandlerContext): CallInfo {
  return {
    principal: ctx.values.get(callStateKey)?.principal,
    requestId: ctx.values.get(requestIdKey),
    clientAddress: ctx.values.get(clientAddressKey),
    userAgent: ctx.values.get(userAgentKey),
    service: ctx.service.typeName,
    method: ctx.method.name,
  };
}

/** The authenticated caller; the interceptors guarantee one exists on non-public RPCs. */
export function requirePrincipal(ctx: HandlerContext): Principal {
  const principal = ctx.values.get(callStateKey)?.principal;
  if (!principal) throw unauthenticatedError("authentication required", "CREDENTIAL_MISSING");
  return principal;
}

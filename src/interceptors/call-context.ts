/**
 * Handler-side readers of the call's context values (domain/call.ts), plus the old hand-off still
 * used by the auth and audit handlers until they move onto services/audited-tx.ts.
 */
import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import type { AuditEventType } from "../domain/audit-events.js";
import { callInfoOf, principalKey, type CallInfo, type Principal } from "../domain/call.js";
import { unauthenticatedError } from "../domain/error-info.js";

export type { CallInfo, Principal } from "../domain/call.js";

export function callInfo(ctx: HandlerContext): CallInfo {
  return callInfoOf(ctx.values, ctx.service.typeName, ctx.method.name);
}

/** The authenticated caller; the interceptors guarantee one exists on non-public RPCs. */
export function requirePrincipal(ctx: HandlerContext): Principal {
  const principal = ctx.values.get(principalKey);
  if (!principal) throw unauthenticatedError("authentication required", "CREDENTIAL_MISSING");
  return principal;
}

/**
 * OLD PATH, kept only for the auth and audit handlers (services/auth-*.ts, services/audit.ts) until
 * they use withAuditedTx / withReadTx: what such a handler reports for the outcome row. The audit
 * interceptor reads it after the helper's own values. Nothing else may use it.
 */
export interface LegacyCallState {
  /** The handler wrote its own audit row inside its transaction. */
  audited: boolean;
  /** The event a failure is recorded as (new code tags the error: domain/audited-error.ts). */
  eventType?: AuditEventType;
  resourceType?: string;
  resourceId?: string;
  details?: Record<string, unknown>;
}

export const legacyCallStateKey = createContextKey<LegacyCallState | undefined>(undefined, {
  description: "old per-call audit hand-off of the auth and audit handlers",
});

/** OLD PATH (see LegacyCallState). */
export function callState(ctx: HandlerContext): LegacyCallState {
  let state = ctx.values.get(legacyCallStateKey);
  if (!state) {
    state = { audited: false };
    ctx.values.set(legacyCallStateKey, state);
  }
  return state;
}

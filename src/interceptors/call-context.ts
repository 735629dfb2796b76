/** Handler-side readers of the call's context values (domain/call.ts). */
import type { HandlerContext } from "@connectrpc/connect";
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

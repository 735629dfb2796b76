/** Readers of the call's context values (domain/call.ts), for handlers and interceptors. */
import type { ContextValues, HandlerContext } from "@connectrpc/connect";
import { RPCS } from "../domain/access-rules.js";
import {
  callInfoOf,
  clientAddressKey,
  deadlineKey,
  principalKey,
  type CallInfo,
  type Principal,
} from "../domain/call.js";
import { unauthenticatedError } from "../domain/error-info.js";
import type { TxOptions } from "../store/tx.js";

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

/** The procedure and abort signal of a call: a HandlerContext, or an interceptor's request. */
interface CallOf {
  service: { typeName: string };
  method: { name: string };
  signal: AbortSignal;
}

/**
 * What every transaction opened for this call is told (store/admission.ts, store/tx.ts): its
 * deadline, its abort signal, and the admission bucket of its work: its principal's account once
 * authentication has set one; for a public RPC (register, login, refresh) its client address; none
 * for the credential look-up that precedes authentication. That look-up is one short indexed read per
 * credential and cache period, which no caller can make wait on a lock; keyed by address, it would
 * make every client behind one proxy wait for each other's.
 */
export function txOptionsOf(call: CallOf, values: ContextValues): TxOptions {
  const principal = values.get(principalKey);
  const anonymous = RPCS[`${call.service.typeName}/${call.method.name}`]?.access === "public";
  // One account: its sessions and API keys share the bucket.
  const admissionKey = principal
    ? `p:${principal.userId}`
    : anonymous
      ? `a:${values.get(clientAddressKey)}`
      : undefined;
  return { deadline: values.get(deadlineKey), admissionKey, signal: () => call.signal };
}

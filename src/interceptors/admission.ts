/**
 * Tells database admission (store/admission.ts) whose work the current call is, read lazily at each
 * transaction: its principal once the authentication interceptor has set one; for a public RPC
 * (register, login, refresh) its client address; nobody's for the credential look-up that precedes
 * authentication. That look-up is one short indexed read per credential and cache period, which no
 * caller can make wait on a lock; keyed by address, it would make every client behind one proxy wait
 * for each other's. Also hands over the call's abort signal: a cancelled call stops waiting.
 */
import type { Interceptor } from "@connectrpc/connect";
import { RPCS } from "../domain/access-rules.js";
import { withCallScope } from "../store/admission.js";
import { clientAddressKey, principalKey } from "../domain/call.js";

export function admissionInterceptor(): Interceptor {
  return (next) => (req) => {
    const anonymous = RPCS[`${req.service.typeName}/${req.method.name}`]?.access === "public";
    const key = () => {
      const principal = req.contextValues.get(principalKey);
      // One account: its sessions and API keys share the bucket.
      if (principal) return `p:${principal.userId}`;
      return anonymous ? `a:${req.contextValues.get(clientAddressKey)}` : undefined;
    };
    return withCallScope({ key, signal: req.signal }, () => next(req));
  };
}

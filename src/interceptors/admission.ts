/**
 * Tells database admission (store/admission.ts) whose work the current call is: its principal once
 * the authentication interceptor has set one, otherwise its client address. Read lazily, at each
 * transaction, so look-ups made while authenticating count against the address and the handler's
 * transactions against the principal. Also hands over the call's abort signal: a cancelled call
 * stops waiting for a connection.
 */
import type { Interceptor } from "@connectrpc/connect";
import { withCallScope } from "../store/admission.js";
import { callStateKey } from "./call-context.js";
import { clientAddressKey } from "./request-context.js";

export function admissionInterceptor(): Interceptor {
  return (next) => (req) => {
    const key = () => {
      const principal = req.contextValues.get(callStateKey)?.principal;
      // One account: its sessions and API keys share the bucket.
      return principal ? `p:${principal.userId}` : `a:${req.contextValues.get(clientAddressKey)}`;
    };
    return withCallScope({ key, signal: req.signal }, () => next(req));
  };
}

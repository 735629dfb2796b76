/** Authorization: the RPCS table decides; an RPC missing from it is denied (fail closed). */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { decide } from "../domain/permissions.js";
import { callStateKey } from "./call-context.js";

export function authzInterceptor(): Interceptor {
  return (next) => async (req) => {
    const state = req.contextValues.get(callStateKey);
    const procedure = `${req.service.typeName}/${req.method.name}`;
    const decision = decide(procedure, state?.principal);
    if (decision.allowed) return next(req);
    if (decision.reason === "unauthenticated") {
      if (state) state.eventType = "auth.token.invalid";
      throw new ConnectError("authentication required", Code.Unauthenticated);
    }
    if (state) state.eventType = "authz.access.denied";
    throw new ConnectError(
      decision.reason === "unlisted" ? `${procedure} is not available` : `permission denied for ${procedure}`,
      Code.PermissionDenied,
    );
  };
}

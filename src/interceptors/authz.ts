/** Authorization: the RPC's access rule decides; an RPC without one is denied (fail closed). */
import type { Interceptor } from "@connectrpc/connect";
import { permissionDenied, unauthenticatedError } from "../domain/error-info.js";
import { decide, RPCS, type RpcPolicies } from "../domain/access-rules.js";
import { callStateKey } from "./call-context.js";

/** `policies`: the served ones; a test passes those of a descriptor whose option was removed. */
export function authzInterceptor(policies: RpcPolicies = RPCS): Interceptor {
  return (next) => async (req) => {
    const state = req.contextValues.get(callStateKey);
    const procedure = `${req.service.typeName}/${req.method.name}`;
    const decision = decide(procedure, state?.principal, policies);
    if (decision.allowed) return next(req);
    if (decision.reason === "unauthenticated") {
      if (state) state.eventType = "auth.token.invalid";
      throw unauthenticatedError("authentication required", "CREDENTIAL_MISSING");
    }
    if (state) state.eventType = "authz.access.denied";
    if (decision.reason === "unlisted") {
      throw permissionDenied(`${procedure} is not available`, "RPC_NOT_AVAILABLE", { procedure });
    }
    const access = policies[procedure]?.access;
    if (access === "user-session") {
      const message = `${procedure} needs a user session, not an API key`;
      throw permissionDenied(message, "USER_SESSION_REQUIRED", { procedure });
    }
    throw permissionDenied(`permission denied for ${procedure}: requires ${access}`, "PERMISSION_MISSING", {
      permission: String(access),
      procedure,
    });
  };
}

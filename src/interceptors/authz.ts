/** Authorization: the RPCS table decides; an RPC missing from it is denied (fail closed). */
import type { Interceptor } from "@connectrpc/connect";
import { permissionDenied, unauthenticatedError } from "../domain/error-info.js";
import { decide, RPCS } from "../domain/permissions.js";
import { callStateKey } from "./call-context.js";

export function authzInterceptor(): Interceptor {
  return (next) => async (req) => {
    const state = req.contextValues.get(callStateKey);
    const procedure = `${req.service.typeName}/${req.method.name}`;
    const decision = decide(procedure, state?.principal);
    if (decision.allowed) return next(req);
    if (decision.reason === "unauthenticated") {
      if (state) state.eventType = "auth.token.invalid";
      throw unauthenticatedError("authentication required", "CREDENTIAL_MISSING");
    }
    if (state) state.eventType = "authz.access.denied";
    if (decision.reason === "unlisted") {
      throw permissionDenied(`${procedure} is not available`, "RPC_NOT_AVAILABLE", { procedure });
    }
    const access = RPCS[procedure]?.access;
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

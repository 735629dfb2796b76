/** Authorization: the RPC's access rule decides; an RPC without one is denied (fail closed). */
import type { ConnectError, Interceptor } from "@connectrpc/connect";
import { permissionDenied, unauthenticatedError } from "../domain/error-info.js";
import { decide, RPCS, type RpcPolicies } from "../domain/access-rules.js";
import { withAuditEvent } from "../domain/audited-error.js";
import { principalKey } from "../domain/call.js";

/** `policies`: the served ones; a test passes those of a descriptor whose option was removed. */
export function authzInterceptor(policies: RpcPolicies = RPCS): Interceptor {
  return (next) => async (req) => {
    const procedure = `${req.service.typeName}/${req.method.name}`;
    const decision = decide(procedure, req.contextValues.get(principalKey), policies);
    if (decision.allowed) return next(req);
    if (decision.reason === "unauthenticated") {
      throw withAuditEvent(unauthenticatedError("authentication required", "CREDENTIAL_MISSING"), "auth.token.invalid");
    }
    throw withAuditEvent(denial(procedure, decision.reason, policies), "authz.access.denied");
  };
}

/** The PermissionDenied answer: which rule the caller missed, in the error details. */
function denial(procedure: string, reason: string, policies: RpcPolicies): ConnectError {
  if (reason === "unlisted")
    return permissionDenied(`${procedure} is not available`, "RPC_NOT_AVAILABLE", { procedure });
  const access = policies[procedure]?.access;
  if (access === "user-session") {
    return permissionDenied(`${procedure} needs a user session, not an API key`, "USER_SESSION_REQUIRED", {
      procedure,
    });
  }
  return permissionDenied(`permission denied for ${procedure}: requires ${access}`, "PERMISSION_MISSING", {
    permission: String(access),
    procedure,
  });
}

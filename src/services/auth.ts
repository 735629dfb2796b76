/** memoric.v1.AuthService: thin composition of the session, API-key and admin handlers. */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import type { AuthService } from "../../gen/memoric/v1/auth_pb.js";
import type { RevocationCache } from "../interceptors/authn.js";
import { requirePrincipal } from "../interceptors/call-context.js";
import type { AppDeps } from "../server/deps.js";
import { findUserById } from "../store/identity/users.js";
import { inTx, userContext } from "../store/tx.js";
import { adminHandlers } from "./auth-admin.js";
import { apiKeyHandlers } from "./auth-keys.js";
import { userToProto } from "./auth-mapping.js";
import { sessionHandlers } from "./auth-sessions.js";

export function authService(deps: AppDeps, cache: RevocationCache): ServiceImpl<typeof AuthService> {
  async function getCurrentUser(_req: unknown, ctx: HandlerContext) {
    const principal = requirePrincipal(ctx);
    const user = await inTx(deps.db.sql, userContext(principal.userId), (tx) => findUserById(tx, principal.userId));
    if (!user) throw new ConnectError("account not found", Code.NotFound);
    return { user: userToProto(user), permissions: [...principal.permissions].sort(), principalType: principal.type };
  }
  return {
    ...sessionHandlers(deps, cache),
    ...apiKeyHandlers(deps, cache),
    ...adminHandlers(deps, cache),
    getCurrentUser,
  };
}

/** SetUserActive (admin): deactivating ends every session and API key of the account. */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { AuthService } from "../../../gen/memoric/v1/auth_pb.js";
import type { AppContext } from "../../app-context.js";
import { requireUuid } from "../../domain/validation.js";
import { requirePrincipal } from "../../interceptors/call-context.js";
import { revokeAllApiKeys } from "../../store/identity/api-keys.js";
import { revokeUserSessions } from "../../store/identity/sessions.js";
import * as users from "../../store/identity/users.js";
import { adminScope, withAuditedTx } from "../audited-tx.js";
import { userToProto } from "./mapping.js";

export default function (app: AppContext): Partial<ServiceImpl<typeof AuthService>> {
  return {
    async setUserActive(req, ctx) {
      const principal = requirePrincipal(ctx);
      const userId = requireUuid("user_id", req.userId);
      if (userId === principal.userId && !req.active) {
        throw new ConnectError("you cannot deactivate yourself", Code.FailedPrecondition);
      }
      const user = await withAuditedTx(
        app,
        ctx,
        async (tx) => {
          const updated = await users.updateUser(tx, userId, { active: req.active, bumpTokenVersion: !req.active });
          if (!updated) throw new ConnectError("user not found", Code.NotFound);
          if (!req.active) {
            await revokeUserSessions(tx, userId, "deactivated");
            await revokeAllApiKeys(tx, userId);
          }
          return updated;
        },
        {
          type: req.active ? "user.activated" : "user.deactivated",
          resourceType: "user",
          resourceId: userId,
        },
        adminScope(ctx),
      );
      app.revocations.invalidateUser(userId);
      return { user: userToProto(user) };
    },
  };
}

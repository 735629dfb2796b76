/** SetUserRoles (admin): replaces a user's roles; their tokens stop working at once. */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { AuthService } from "../../../gen/memoric/v1/auth_pb.js";
import type { AppContext } from "../../app-context.js";
import { invalidField } from "../../domain/field-violations.js";
import type { RoleName } from "../../domain/permissions.js";
import { requireUuid } from "../../domain/validation.js";
import { requirePrincipal } from "../../interceptors/call-context.js";
import * as users from "../../store/identity/users.js";
import { adminScope, withAuditedTx } from "../audited-tx.js";
import { roleFromProto, userToProto } from "./mapping.js";

export default function (app: AppContext): Partial<ServiceImpl<typeof AuthService>> {
  return {
    async setUserRoles(req, ctx) {
      const principal = requirePrincipal(ctx);
      const userId = requireUuid("user_id", req.userId);
      const roles = [...new Set(req.roles.map(roleFromProto))];
      if (roles.length === 0 || roles.includes(undefined)) {
        throw invalidField("roles", "one or more of ROLE_ADMIN, ROLE_USER, ROLE_READ_ONLY");
      }
      if (userId === principal.userId && !roles.includes("ADMIN")) {
        throw new ConnectError("you cannot remove your own ADMIN role", Code.FailedPrecondition);
      }
      const { user } = await withAuditedTx(
        app,
        ctx,
        async (tx) => {
          const before = await users.findUserById(tx, userId);
          if (!before) throw new ConnectError("user not found", Code.NotFound);
          const updated = await users.updateUser(tx, userId, { roles: roles as RoleName[], bumpTokenVersion: true });
          return { from: before.roles, user: updated! };
        },
        (r) => ({ resourceType: "user", resourceId: userId, details: { from: r.from, to: roles } }),
        adminScope(ctx),
      );
      app.revocations.invalidateUser(userId);
      return { user: userToProto(user) };
    },
  };
}

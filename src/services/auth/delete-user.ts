/** DeleteUser (admin): crypto-shreds the user's data and removes the account. */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { AuthService } from "../../../gen/memoric/v1/auth_pb.js";
import type { AppContext } from "../../app-context.js";
import { requireUuid } from "../../domain/validation.js";
import { requirePrincipal } from "../../interceptors/call-context.js";
import { eraseUserData } from "../../store/erase-user.js";
import * as users from "../../store/identity/users.js";
import { adminScope, withAuditedTx } from "../audited-tx.js";

export default function (app: AppContext): Partial<ServiceImpl<typeof AuthService>> {
  return {
    async deleteUser(req, ctx) {
      const principal = requirePrincipal(ctx);
      const userId = requireUuid("user_id", req.userId);
      if (userId === principal.userId) throw new ConnectError("you cannot delete yourself", Code.FailedPrecondition);
      const erased = await withAuditedTx(
        app,
        ctx,
        async (tx) => {
          if (!(await users.findUserById(tx, userId))) throw new ConnectError("user not found", Code.NotFound);
          // Crypto-shredding first (the wrapped data key, then the rows), then the account; sessions,
          // refresh tokens and API keys go with it (ON DELETE CASCADE). One transaction, audit row included.
          // This replica forgets the erased owners' keys and decrypted vectors at once.
          const forget = (id: string) => {
            app.keys.forget(id);
            app.vectors?.forget(id);
          };
          const counts = await eraseUserData(tx, { forget }, userId);
          await users.deleteUserRow(tx, userId);
          return counts;
        },
        (counts) => ({ resourceType: "user", resourceId: userId, details: { ...counts } }),
        adminScope(ctx),
      );
      app.revocations.invalidateUser(userId);
      return { dataErased: true, memoriesDeleted: BigInt(erased.memories) };
    },
  };
}

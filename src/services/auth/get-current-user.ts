/** GetCurrentUser: the caller's account and what this credential may do. */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { AuthService } from "../../../gen/memoric/v1/auth_pb.js";
import type { AppContext } from "../../app-context.js";
import { requirePrincipal } from "../../interceptors/call-context.js";
import { findUserById } from "../../store/identity/users.js";
import { withReadTx } from "../audited-tx.js";
import { userToProto } from "./mapping.js";

export default (app: AppContext): Partial<ServiceImpl<typeof AuthService>> => ({
  async getCurrentUser(_req, ctx) {
    const principal = requirePrincipal(ctx);
    const user = await withReadTx(app, ctx, (tx) => findUserById(tx, principal.userId), {}, { singleStatement: true });
    if (!user) throw new ConnectError("account not found", Code.NotFound);
    return {
      user: userToProto(user),
      permissions: [...principal.permissions].sort(),
      principalType: principal.type,
    };
  },
});

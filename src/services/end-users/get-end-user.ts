/** GetEndUser: one end user by the backend's id, with its memory count. */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { GetEndUserResponseSchema, type EndUserService } from "../../../gen/memoric/v1/end_users_pb.js";
import type { AppContext } from "../../app-context.js";
import { requirePrincipal } from "../../interceptors/call-context.js";
import { findEndUser } from "../../store/end-users.js";
import { withReadTx } from "../audited-tx.js";
import { endUserIdOf, ownerScope } from "../owners.js";
import { toEndUser } from "./mapping.js";

export default (app: AppContext): Partial<ServiceImpl<typeof EndUserService>> => ({
  async getEndUser(req, ctx) {
    const accountId = requirePrincipal(ctx).userId;
    const owner = { accountId, ownerId: await endUserIdOf(app, ctx, req.endUserId) };
    const described = { resourceType: "end_user", resourceId: owner.ownerId };
    const row = await withReadTx(app, ctx, (tx) => findEndUser(tx, owner), described, ownerScope(owner));
    if (!row) throw new ConnectError("end user not found", Code.NotFound);
    return create(GetEndUserResponseSchema, { endUser: toEndUser(req.endUserId, row) });
  },
});

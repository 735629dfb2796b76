/** RevokeEndUserTokens: bumps the end user's token version, so every token issued so far is refused. */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { RevokeEndUserTokensResponseSchema, type EndUserService } from "../../../gen/memoric/v1/end_users_pb.js";
import type { AppContext } from "../../app-context.js";
import { requirePrincipal } from "../../interceptors/call-context.js";
import { bumpTokenVersion } from "../../store/end-users.js";
import { withAuditedTx } from "../audited-tx.js";
import { endUserIdOf, ownerScope } from "../owners.js";

export default (app: AppContext): Partial<ServiceImpl<typeof EndUserService>> => ({
  async revokeEndUserTokens(req, ctx) {
    const accountId = requirePrincipal(ctx).userId;
    const owner = { accountId, ownerId: await endUserIdOf(app, ctx, req.endUserId) };
    await withAuditedTx(
      app,
      ctx,
      async (tx) => {
        if (!(await bumpTokenVersion(tx, owner))) throw new ConnectError("end user not found", Code.NotFound);
      },
      { resourceType: "end_user", resourceId: owner.ownerId },
      ownerScope(owner),
    );
    app.revocations.invalidateEndUser(owner.ownerId);
    return create(RevokeEndUserTokensResponseSchema, {});
  },
});

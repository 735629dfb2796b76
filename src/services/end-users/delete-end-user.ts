/**
 * DeleteEndUser, the erasure request: the end user's wrapped data key first (crypto-shredding), then
 * its memories, history, index, clusters and counters, then the end user — one audited transaction
 * whose row records what was erased (counts only). Its delegated tokens die with it (authn finds no
 * end user; this replica forgets its cached state at once, the others within the revocation bound).
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { DeleteEndUserResponseSchema, type EndUserService } from "../../../gen/memoric/v1/end_users_pb.js";
import type { AppContext } from "../../app-context.js";
import { requirePrincipal } from "../../interceptors/call-context.js";
import { eraseOwner, findEndUser } from "../../store/end-users.js";
import { withAuditedTx } from "../audited-tx.js";
import { endUserIdOf, ownerScope } from "../owners.js";

export default (app: AppContext): Partial<ServiceImpl<typeof EndUserService>> => ({
  async deleteEndUser(req, ctx) {
    const accountId = requirePrincipal(ctx).userId;
    const owner = { accountId, ownerId: await endUserIdOf(app, ctx, req.endUserId) };
    const erased = await withAuditedTx(
      app,
      ctx,
      async (tx) => {
        if (!(await findEndUser(tx, owner))) throw new ConnectError("end user not found", Code.NotFound);
        return eraseOwner(tx, owner);
      },
      (e) => ({ resourceType: "end_user", resourceId: owner.ownerId, details: { ...e } }),
      ownerScope(owner),
    );
    app.keys.forget(owner.ownerId);
    app.vectors?.forget(owner.ownerId); // its decrypted vectors leave this process too
    app.revocations.invalidateEndUser(owner.ownerId);
    return create(DeleteEndUserResponseSchema, {
      id: owner.ownerId,
      memoriesDeleted: BigInt(erased.memories),
      versionsDeleted: BigInt(erased.versions),
      clustersDeleted: BigInt(erased.clusters),
      keyDestroyed: erased.keyDestroyed,
    });
  },
});

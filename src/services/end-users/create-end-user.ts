/** CreateEndUser: an end user with a data key of its own; idempotent (an existing one is returned). */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { CreateEndUserResponseSchema, type EndUserService } from "../../../gen/memoric/v1/end_users_pb.js";
import type { AppContext } from "../../app-context.js";
import { requirePrincipal } from "../../interceptors/call-context.js";
import { findEndUser } from "../../store/end-users.js";
import { txOptions } from "../audited-tx.js";
import { createEndUser, endUserIdOf, ownerScope } from "../owners.js";
import { inTx } from "../../store/tx.js";
import { toEndUser } from "./mapping.js";

export default (app: AppContext): Partial<ServiceImpl<typeof EndUserService>> => ({
  async createEndUser(req, ctx) {
    const accountId = requirePrincipal(ctx).userId;
    const owner = { accountId, ownerId: await endUserIdOf(app, ctx, req.endUserId), externalId: req.endUserId };
    const created = await createEndUser(app, ctx, owner, true);
    // Read after commit: the counts and creation time of the row as stored (also when it existed).
    const row = await inTx(app.db.sql, ownerScope(owner).as, (tx) => findEndUser(tx, owner), txOptions(ctx));
    if (!row) throw new Error("end user vanished right after its creation");
    return create(CreateEndUserResponseSchema, { endUser: toEndUser(req.endUserId, row), created });
  },
});

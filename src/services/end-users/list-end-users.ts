/** ListEndUsers: the account's end users, oldest first, keyset-paged, with memory counts. */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { ListEndUsersResponseSchema, type EndUserService } from "../../../gen/memoric/v1/end_users_pb.js";
import type { AppContext } from "../../app-context.js";
import { decodePageToken, encodePageToken, pageSize } from "../../domain/validation.js";
import { requirePrincipal } from "../../interceptors/call-context.js";
import { listEndUsers } from "../../store/end-users.js";
import { userContext } from "../../store/tx.js";
import { withReadTx } from "../audited-tx.js";
import { openExternalId } from "../owners.js";
import { toEndUser } from "./mapping.js";

/** Page tokens are scoped: one issued for another listing is refused. */
const TOKEN_SCOPE = "end_users";

export default (app: AppContext): Partial<ServiceImpl<typeof EndUserService>> => ({
  async listEndUsers(req, ctx) {
    const size = pageSize("page_size", req.pageSize, { default: 50, max: 500 });
    const token = decodePageToken(req.pageToken, TOKEN_SCOPE);
    const after = token && { createdAt: token.time, id: token.id };
    const accountId = requirePrincipal(ctx).userId;
    const page = await withReadTx(
      app,
      ctx,
      (tx) => listEndUsers(tx, accountId, size, after),
      (p) => ({ resourceType: "end_user", details: { count: p.rows.length } }),
      { as: userContext(accountId) },
    );
    const endUsers = await Promise.all(
      page.rows.map(async (row) =>
        toEndUser(await openExternalId(app, ctx, { accountId, ownerId: row.id }, row.external_id_ct), row),
      ),
    );
    const next = page.next ? encodePageToken({ time: page.next.createdAt, id: page.next.id }, TOKEN_SCOPE) : "";
    return create(ListEndUsersResponseSchema, { endUsers, nextPageToken: next });
  },
});

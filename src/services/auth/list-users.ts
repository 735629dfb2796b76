/** ListUsers (admin): every account, oldest first, keyset-paged. */
import type { ServiceImpl } from "@connectrpc/connect";
import type { AuthService } from "../../../gen/memoric/v1/auth_pb.js";
import type { AppContext } from "../../app-context.js";
import { decodePageToken, encodePageToken, pageSize } from "../../domain/validation.js";
import * as users from "../../store/identity/users.js";
import { adminScope, withReadTx } from "../audited-tx.js";
import { userToProto } from "./mapping.js";

export default (app: AppContext): Partial<ServiceImpl<typeof AuthService>> => ({
  async listUsers(req, ctx) {
    const size = pageSize("page_size", req.pageSize, { default: 50, max: 500 });
    const cursor = decodePageToken(req.pageToken);
    const after = cursor && { createdAt: cursor.time, id: cursor.id };
    const { rows, total } = await withReadTx(
      app,
      ctx,
      (tx) => users.listUsers(tx, size, after),
      (r) => ({
        details: { count: Math.min(r.rows.length, size) },
      }),
      adminScope(ctx),
    );
    const page = rows.slice(0, size);
    const last = page.at(-1);
    return {
      users: page.map(userToProto),
      nextPageToken: rows.length > size && last ? encodePageToken({ time: last.cursor_created_at, id: last.id }) : "",
      totalSize: BigInt(total),
    };
  },
});

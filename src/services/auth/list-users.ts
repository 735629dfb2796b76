/** ListUsers (admin): every account, oldest first, keyset-paged. */
import type { ServiceImpl } from "@connectrpc/connect";
import type { AuthService } from "../../../gen/memoric/v1/auth_pb.js";
import { decodePageToken, encodePageToken, pageSize } from "../../domain/validation.js";
import { callState } from "../../interceptors/call-context.js";
import * as users from "../../store/identity/users.js";
import { inTx } from "../../store/tx.js";
import { adminContext, type AuthDeps } from "./deps.js";
import { userToProto } from "./mapping.js";

export default function (deps: AuthDeps): Partial<ServiceImpl<typeof AuthService>> {
  const { db } = deps;

  return {
    async listUsers(req, ctx) {
      const size = pageSize("page_size", req.pageSize, { default: 50, max: 500 });
      const cursor = decodePageToken(req.pageToken);
      const after = cursor && { createdAt: cursor.time, id: cursor.id };
      const { rows, total } = await inTx(db.sql, adminContext(ctx), (tx) => users.listUsers(tx, size, after));
      const page = rows.slice(0, size);
      const last = page.at(-1);
      callState(ctx).details = { count: page.length };
      return {
        users: page.map(userToProto),
        nextPageToken: rows.length > size && last ? encodePageToken({ time: last.cursor_created_at, id: last.id }) : "",
        totalSize: BigInt(total),
      };
    },
  };
}

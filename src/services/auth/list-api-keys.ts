/** ListApiKeys: the caller's own keys (never the secrets). */
import type { ServiceImpl } from "@connectrpc/connect";
import type { AuthService } from "../../../gen/memoric/v1/auth_pb.js";
import type { AppContext } from "../../app-context.js";
import { requirePrincipal } from "../../interceptors/call-context.js";
import * as apiKeys from "../../store/identity/api-keys.js";
import { withReadTx } from "../audited-tx.js";
import { apiKeyToProto } from "./mapping.js";

export default (app: AppContext): Partial<ServiceImpl<typeof AuthService>> => ({
  async listApiKeys(_req, ctx) {
    const userId = requirePrincipal(ctx).userId;
    const rows = await withReadTx(
      app,
      ctx,
      (tx) => apiKeys.listApiKeys(tx, userId),
      (r) => ({
        details: { count: r.length },
      }),
    );
    return { apiKeys: rows.map(apiKeyToProto) };
  },
});

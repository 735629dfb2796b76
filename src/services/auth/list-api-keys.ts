/** ListApiKeys: the caller's own keys (never the secrets). */
import type { ServiceImpl } from "@connectrpc/connect";
import type { AuthService } from "../../../gen/memoric/v1/auth_pb.js";
import { callState, requirePrincipal } from "../../interceptors/call-context.js";
import * as apiKeys from "../../store/identity/api-keys.js";
import { inTx, userContext } from "../../store/tx.js";
import type { AuthDeps } from "./deps.js";
import { apiKeyToProto } from "./mapping.js";

export default function (deps: AuthDeps): Partial<ServiceImpl<typeof AuthService>> {
  const { db } = deps;

  return {
    async listApiKeys(_req, ctx) {
      const principal = requirePrincipal(ctx);
      const rows = await inTx(db.sql, userContext(principal.userId), (tx) => apiKeys.listApiKeys(tx, principal.userId));
      callState(ctx).details = { count: rows.length };
      return { apiKeys: rows.map(apiKeyToProto) };
    },
  };
}

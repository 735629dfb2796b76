/** RevokeApiKey: one of the caller's own keys (RLS hides everyone else's). */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { AuthService } from "../../../gen/memoric/v1/auth_pb.js";
import { requireUuid } from "../../domain/validation.js";
import { callInfo, callState, requirePrincipal } from "../../interceptors/call-context.js";
import * as apiKeys from "../../store/identity/api-keys.js";
import { inTx, userContext } from "../../store/tx.js";
import type { AuthDeps } from "./deps.js";

export default function (deps: AuthDeps): Partial<ServiceImpl<typeof AuthService>> {
  const { db, audit } = deps;
  const cache = deps.revocations;

  return {
    async revokeApiKey(req, ctx) {
      const principal = requirePrincipal(ctx);
      const id = requireUuid("id", req.id);
      await inTx(db.sql, userContext(principal.userId), async (tx) => {
        if (!(await apiKeys.revokeApiKey(tx, principal.userId, id))) {
          throw new ConnectError("API key not found", Code.NotFound);
        }
        await audit.record(tx, callInfo(ctx), {
          type: "auth.apikey.revoked",
          success: true,
          resourceType: "api_key",
          resourceId: id,
        });
      });
      callState(ctx).audited = true;
      cache.invalidateUser(principal.userId);
      return {};
    },
  };
}

/** RevokeApiKey: one of the caller's own keys (RLS hides everyone else's). */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { AuthService } from "../../../gen/memoric/v1/auth_pb.js";
import type { AppContext } from "../../app-context.js";
import { requireUuid } from "../../domain/validation.js";
import { requirePrincipal } from "../../interceptors/call-context.js";
import * as apiKeys from "../../store/identity/api-keys.js";
import { withAuditedTx } from "../audited-tx.js";

export default (app: AppContext): Partial<ServiceImpl<typeof AuthService>> => ({
  async revokeApiKey(req, ctx) {
    const userId = requirePrincipal(ctx).userId;
    const id = requireUuid("id", req.id);
    await withAuditedTx(
      app,
      ctx,
      async (tx) => {
        if (!(await apiKeys.revokeApiKey(tx, userId, id))) throw new ConnectError("API key not found", Code.NotFound);
      },
      { resourceType: "api_key", resourceId: id },
    );
    app.revocations.invalidateUser(userId);
    return {};
  },
});

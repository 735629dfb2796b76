/** Logout: ends this session, the one a refresh token names, or all of the caller's sessions. */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { AuthService } from "../../../gen/memoric/v1/auth_pb.js";
import type { AppContext } from "../../app-context.js";
import { requirePrincipal } from "../../interceptors/call-context.js";
import { hashSecret } from "../../security/secrets.js";
import * as sessions from "../../store/identity/sessions.js";
import * as users from "../../store/identity/users.js";
import { withAuditedTx } from "../audited-tx.js";

export default (app: AppContext): Partial<ServiceImpl<typeof AuthService>> => ({
  async logout(req, ctx) {
    const principal = requirePrincipal(ctx);
    const revoked = await withAuditedTx(
      app,
      ctx,
      async (tx) => {
        if (req.allSessions) {
          const count = await sessions.revokeUserSessions(tx, principal.userId, "logout all");
          await users.updateUser(tx, principal.userId, { bumpTokenVersion: true });
          return count;
        }
        let sessionId = principal.sessionId;
        if (req.refreshToken) {
          const found = await sessions.findSessionByRefreshToken(tx, hashSecret(req.refreshToken));
          // RLS hides other users' tokens; a foreign or unknown token is simply not found.
          if (!found) throw new ConnectError("refresh token not found", Code.NotFound);
          sessionId = found.sessionId;
        }
        return sessions.revokeSession(tx, sessionId, "logout");
      },
      (count) => ({
        resourceType: "user",
        resourceId: principal.userId,
        details: { all_sessions: req.allSessions, revoked_sessions: count },
      }),
    );
    app.revocations.invalidateUser(principal.userId);
    return { revokedSessions: revoked };
  },
});

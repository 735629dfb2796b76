/** Logout: ends this session, the one a refresh token names, or all of the caller's sessions. */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { AuthService } from "../../../gen/memoric/v1/auth_pb.js";
import { callInfo, callState, requirePrincipal } from "../../interceptors/call-context.js";
import { hashSecret } from "../../security/secrets.js";
import * as sessions from "../../store/identity/sessions.js";
import * as users from "../../store/identity/users.js";
import { inTx, userContext } from "../../store/tx.js";
import type { AuthDeps } from "./deps.js";

export default function (deps: AuthDeps): Partial<ServiceImpl<typeof AuthService>> {
  const { db, audit } = deps;
  const cache = deps.revocations;

  return {
    async logout(req, ctx) {
      const principal = requirePrincipal(ctx);
      const info = callInfo(ctx);
      const revoked = await inTx(db.sql, userContext(principal.userId), async (tx) => {
        let count: number;
        if (req.allSessions) {
          count = await sessions.revokeUserSessions(tx, principal.userId, "logout all");
          await users.updateUser(tx, principal.userId, { bumpTokenVersion: true });
        } else {
          let sessionId = principal.sessionId;
          if (req.refreshToken) {
            const found = await sessions.findSessionByRefreshToken(tx, hashSecret(req.refreshToken));
            // RLS hides other users' tokens; a foreign or unknown token is simply not found.
            if (!found) throw new ConnectError("refresh token not found", Code.NotFound);
            sessionId = found.sessionId;
          }
          count = await sessions.revokeSession(tx, sessionId, "logout");
        }
        await audit.record(tx, info, {
          type: "auth.logout",
          success: true,
          resourceType: "user",
          resourceId: principal.userId,
          details: { all_sessions: req.allSessions, revoked_sessions: count },
        });
        return count;
      });
      callState(ctx).audited = true;
      cache.invalidateUser(principal.userId);
      return { revokedSessions: revoked };
    },
  };
}

/** Refresh: spends a refresh token for a new pair; a reused token revokes its whole session. */
import type { ServiceImpl } from "@connectrpc/connect";
import type { AuthService } from "../../../gen/memoric/v1/auth_pb.js";
import { unauthenticatedError } from "../../domain/error-info.js";
import { invalidField } from "../../domain/field-violations.js";
import { callInfo, callState } from "../../interceptors/call-context.js";
import { generateOpaqueToken, hashSecret } from "../../security/secrets.js";
import * as sessions from "../../store/identity/sessions.js";
import * as users from "../../store/identity/users.js";
import { inTx, SYSTEM } from "../../store/tx.js";
import type { AuthDeps } from "./deps.js";
import { sessionFactory } from "./sessions.js";

export default function (deps: AuthDeps): Partial<ServiceImpl<typeof AuthService>> {
  const { db, audit } = deps;
  const cache = deps.revocations;
  const { accessToken } = sessionFactory(deps);

  return {
    async refresh(req, ctx) {
      if (!req.refreshToken) throw invalidField("refresh_token", "is required");
      const info = callInfo(ctx);
      const hash = hashSecret(req.refreshToken);
      const outcome = await inTx(db.sql, SYSTEM, async (tx) => {
        const spent = await sessions.spendRefreshToken(tx, hash);
        if (spent.kind === "reused") {
          await sessions.revokeSession(tx, spent.sessionId, "refresh token reuse");
          await audit.record(tx, info, {
            type: "auth.token.reuse_detected",
            success: false,
            code: "unauthenticated",
            resourceType: "session",
            resourceId: spent.sessionId,
            details: { user_id: spent.userId },
          });
          return { kind: "reused" as const, userId: spent.userId };
        }
        if (spent.kind === "invalid") return { kind: "invalid" as const };
        const user = await users.findUserById(tx, spent.userId);
        if (!user || !user.active) return { kind: "invalid" as const };
        const refreshToken = generateOpaqueToken(32);
        await sessions.insertRefreshToken(tx, spent.sessionId, user.id, hashSecret(refreshToken));
        await audit.record(tx, info, {
          type: "auth.token.refreshed",
          success: true,
          resourceType: "session",
          resourceId: spent.sessionId,
          details: { user_id: user.id },
        });
        return { kind: "rotated" as const, user, sessionId: spent.sessionId, refreshToken };
      });
      if (outcome.kind === "reused") {
        callState(ctx).audited = true;
        cache.invalidateUser(outcome.userId);
        throw unauthenticatedError("refresh token already used; the session has been revoked", "CREDENTIAL_INVALID");
      }
      if (outcome.kind === "invalid") {
        throw unauthenticatedError("invalid or expired refresh token", "CREDENTIAL_INVALID");
      }
      callState(ctx).audited = true;
      const issued = await accessToken(outcome.user, outcome.sessionId);
      return {
        accessToken: issued.token,
        refreshToken: outcome.refreshToken,
        expiresIn: issued.expiresIn,
        tokenType: "Bearer",
      };
    },
  };
}

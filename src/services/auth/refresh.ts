/** Refresh: spends a refresh token for a new pair; a reused token revokes its whole session. */
import type { ServiceImpl } from "@connectrpc/connect";
import type { AuthService } from "../../../gen/memoric/v1/auth_pb.js";
import type { AppContext } from "../../app-context.js";
import { unauthenticatedError } from "../../domain/error-info.js";
import { invalidField } from "../../domain/field-violations.js";
import { generateOpaqueToken, hashSecret } from "../../security/secrets.js";
import * as sessions from "../../store/identity/sessions.js";
import * as users from "../../store/identity/users.js";
import { SYSTEM, type Tx } from "../../store/tx.js";
import { withAuditedTx, type AuditedOutcome } from "../audited-tx.js";
import { sessionFactory } from "./sessions.js";
import { overlay } from "../../domain/objects.js";

/** Spends the token: a new one on success; a reuse revokes the session (committed, then the call fails). */
async function spend(tx: Tx, hash: string) {
  const spent = await sessions.spendRefreshToken(tx, hash);
  if (spent.kind === "reused") {
    await sessions.revokeSession(tx, spent.sessionId, "refresh token reuse");
    return { kind: "reused" as const, userId: spent.userId, sessionId: spent.sessionId };
  }
  if (spent.kind === "invalid") return { kind: "invalid" as const };
  const user = await users.findUserById(tx, spent.userId);
  if (!user?.active) return { kind: "invalid" as const };
  const refreshToken = generateOpaqueToken(32);
  await sessions.insertRefreshToken(tx, spent.sessionId, user.id, hashSecret(refreshToken));
  return { kind: "rotated" as const, user, sessionId: spent.sessionId, refreshToken };
}

/** The reuse is recorded with the revocation it caused; an invalid token, by the interceptor (no row here). */
function spent(outcome: Awaited<ReturnType<typeof spend>>): AuditedOutcome[] {
  if (outcome.kind === "invalid") return [];
  const session = { resourceType: "session", resourceId: outcome.sessionId };
  if (outcome.kind === "rotated") return [overlay(session, { details: { user_id: outcome.user.id } })];
  const reuse = { type: "auth.token.reuse_detected", success: false, code: "unauthenticated" } as const;
  return [overlay(reuse, overlay(session, { details: { user_id: outcome.userId } }))];
}

export default function (app: AppContext): Partial<ServiceImpl<typeof AuthService>> {
  const { accessToken } = sessionFactory(app);

  return {
    async refresh(req, ctx) {
      if (!req.refreshToken) throw invalidField("refresh_token", "is required");
      const hash = hashSecret(req.refreshToken);
      const outcome = await withAuditedTx(
        app,
        ctx,
        (tx) => spend(tx, hash),
        (o) => spent(o),
        { as: SYSTEM },
      );
      if (outcome.kind === "reused") {
        app.revocations.invalidateUser(outcome.userId);
        throw unauthenticatedError("refresh token already used; the session has been revoked", "CREDENTIAL_INVALID");
      }
      if (outcome.kind === "invalid") {
        throw unauthenticatedError("invalid or expired refresh token", "CREDENTIAL_INVALID");
      }
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

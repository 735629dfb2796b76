/**
 * ChangePassword: the old password is a guessable secret like a login's (same account budget,
 * same lock); every session ends and the caller continues on the fresh one returned.
 */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { AuthService } from "../../../gen/memoric/v1/auth_pb.js";
import type { AppContext } from "../../app-context.js";
import { withAuditEvent } from "../../domain/audited-error.js";
import { invalidField } from "../../domain/field-violations.js";
import { requirePrincipal } from "../../interceptors/call-context.js";
import { rateLimited } from "../../interceptors/rate-limit.js";
import { hashPassword, verifyPassword } from "../../security/passwords.js";
import * as sessions from "../../store/identity/sessions.js";
import { refundLoginAttempt, reserveLoginAttempt, settleLoginFailure } from "../../store/identity/throttle.js";
import * as users from "../../store/identity/users.js";
import { toConnectError } from "../../store/tx.js";
import { withAuditedTx, withReadTx } from "../audited-tx.js";
import { checkPassword } from "./accounts.js";
import { loginLimits, sessionFactory } from "./sessions.js";

export default function (app: AppContext): Partial<ServiceImpl<typeof AuthService>> {
  const { config, db, metrics } = app;
  const { openSession, accessToken } = sessionFactory(app);
  const { accountLimits } = loginLimits(config.abuse);

  return {
    async changePassword(req, ctx) {
      const principal = requirePrincipal(ctx);
      if (!req.oldPassword) throw invalidField("old_password", "is required");
      const user = await withReadTx(app, ctx, (tx) => users.findUserById(tx, principal.userId), {});
      if (!user) throw new ConnectError("account not found", Code.NotFound);
      // The old password is a guessable secret like a login's: same account budget, same lock.
      const accountKey = `login:acct:${user.id}`;
      const reservation = await reserveLoginAttempt(db.sql, accountKey, accountLimits).catch((e: unknown) => {
        throw toConnectError(e);
      });
      if (!reservation.allowed) {
        metrics.rateLimited("password_change");
        const err = rateLimited(reservation.retryAfterSeconds, "too many failed password attempts");
        throw withAuditEvent(err, "security.rate_limit.exceeded");
      }
      if (!(await verifyPassword(req.oldPassword, user.password_hash, { dummyCost: config.auth.bcryptCost }))) {
        const settled = await settleLoginFailure(db.sql, accountKey, accountLimits);
        if (settled.lockedForSeconds !== null) metrics.lockedOut("account");
        throw invalidField("old_password", "is incorrect");
      }
      await refundLoginAttempt(db.sql, accountKey, true);
      checkPassword(req.newPassword, { username: user.username, email: user.email }, config.auth.passwordMinLength);
      const passwordHash = await hashPassword(req.newPassword, config.auth.bcryptCost);
      const result = await withAuditedTx(
        app,
        ctx,
        async (tx) => {
          const updated = await users.updateUser(tx, principal.userId, { passwordHash, bumpTokenVersion: true });
          // Every session ends, this one included; the caller continues on the fresh one returned.
          await sessions.revokeUserSessions(tx, principal.userId, "password changed");
          const opened = await openSession(tx, principal.userId);
          return { user: updated!, ...opened };
        },
        { resourceType: "user", resourceId: principal.userId },
      );
      app.revocations.invalidateUser(principal.userId);
      const issued = await accessToken(result.user, result.sessionId);
      return { accessToken: issued.token, refreshToken: result.refreshToken, expiresIn: issued.expiresIn };
    },
  };
}

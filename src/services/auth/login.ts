/**
 * Login: username or email and password for a session. bcrypt runs outside transactions (it is
 * slow and must not hold a pooled connection) and after the brute-force check; the session and
 * its audit rows share one transaction.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import type { AuthService } from "../../../gen/memoric/v1/auth_pb.js";
import type { AppContext } from "../../app-context.js";
import { withAuditEvent } from "../../domain/audited-error.js";
import { unauthenticatedError } from "../../domain/error-info.js";
import { FieldViolations } from "../../domain/field-violations.js";
import { isRoleName, permissionsOfRoles } from "../../domain/permissions.js";
import { hmacIdentifier } from "../../domain/sanitize.js";
import { rateLimited } from "../../interceptors/rate-limit.js";
import { clientAddressKey } from "../../interceptors/request-context.js";
import { prepareDummyHash, verifyPassword } from "../../security/passwords.js";
import { refundLoginAttempt, reserveLoginAttempt, settleLoginFailure } from "../../store/identity/throttle.js";
import * as users from "../../store/identity/users.js";
import { SYSTEM, toConnectError } from "../../store/tx.js";
import { describeRead, withAuditedTx, withReadTx, type AuditedOutcome } from "../audited-tx.js";
import { userToProto } from "./mapping.js";
import { loginLimits, sessionFactory } from "./sessions.js";

/** The one answer for unknown user, wrong password and inactive account. */
const BAD_LOGIN = "invalid username or password";

export default function (app: AppContext): Partial<ServiceImpl<typeof AuthService>> {
  const { config, db, metrics } = app;
  const { openSession, accessToken } = sessionFactory(app);
  const { accountLimits, addressLimits } = loginLimits(config.abuse);
  // The dummy hash for unknown users is computed now, not on the first such login (which would then be slower).
  void prepareDummyHash(config.auth.bcryptCost).catch(() => {});

  return {
    async login(req, ctx) {
      const identifier = (req.username || req.email).trim();
      const missing = new FieldViolations();
      if (!identifier) missing.add("username", "username or email is required");
      if (!req.password) missing.add("password", "is required");
      missing.throwIfAny();
      const identifierHmac = hmacIdentifier(app.secrets.identifierSalt, identifier.toLowerCase());

      // A service account has no password: it fails exactly like an unknown name (same bcrypt work).
      const found = await withReadTx(app, ctx, (tx) => users.findUserByLogin(tx, identifier), {}, { as: SYSTEM });
      const user = found?.service_account ? undefined : found;
      // Keyed by user id when the account exists (username and email share one budget), else by the identifier.
      const accountKey = `login:acct:${user?.id ?? identifierHmac}`;
      const addressKey = `login:addr:${ctx.values.get(clientAddressKey)}`;
      // Each attempt is claimed before bcrypt runs, so parallel guesses cannot outrun the limit.
      const reservation = await (async () => {
        const byAddress = await reserveLoginAttempt(db.sql, addressKey, addressLimits);
        if (!byAddress.allowed) return { scope: "login_address" as const, ...byAddress };
        const byAccount = await reserveLoginAttempt(db.sql, accountKey, accountLimits);
        // No password was tried: the address gets its claim back (its budget counts failed passwords).
        if (!byAccount.allowed) await refundLoginAttempt(db.sql, addressKey, false);
        return { scope: "login_account" as const, ...byAccount };
      })().catch((e: unknown) => {
        throw toConnectError(e);
      });
      if (!reservation.allowed) {
        metrics.rateLimited(reservation.scope);
        metrics.loginFailed("throttled");
        describeRead(ctx, () => ({ details: { username_hmac: identifierHmac } }));
        const err = rateLimited(reservation.retryAfterSeconds, "too many failed logins");
        throw withAuditEvent(err, "security.rate_limit.exceeded");
      }

      // Always one bcrypt compare, against a dummy hash when the user does not exist: same time either way.
      const passwordOk = await verifyPassword(req.password, user?.password_hash ?? null, {
        dummyCost: config.auth.bcryptCost,
      });
      if (!user || !passwordOk || !user.active) {
        const [acct, addr] = await Promise.all([
          settleLoginFailure(db.sql, accountKey, accountLimits),
          settleLoginFailure(db.sql, addressKey, addressLimits),
        ]);
        metrics.loginFailed(!user ? "unknown_user" : !passwordOk ? "wrong_password" : "inactive_account");
        if (acct.lockedForSeconds !== null) metrics.lockedOut("account");
        if (addr.lockedForSeconds !== null) metrics.lockedOut("address");
        // The failure's rows commit on their own: the call then fails, and nothing else was changed.
        const failed: AuditedOutcome[] = [
          {
            type: "auth.login.failed",
            success: false,
            code: "unauthenticated",
            errorMessage: BAD_LOGIN,
            resourceType: "user",
            resourceId: user?.id,
            details: { username_hmac: identifierHmac },
          },
        ];
        const locked = acct.lockedForSeconds ?? addr.lockedForSeconds;
        if (locked !== null) {
          failed.push({
            type: "security.account.locked",
            success: false,
            resourceType: "user",
            resourceId: user?.id,
            details: {
              username_hmac: identifierHmac,
              locked_seconds: locked,
              scope: acct.lockedForSeconds !== null ? "account" : "address",
            },
          });
        }
        await withAuditedTx(app, ctx, async () => undefined, failed, { as: SYSTEM });
        throw unauthenticatedError(BAD_LOGIN, "CREDENTIAL_INVALID");
      }

      const opened = await withAuditedTx(
        app,
        ctx,
        async (tx) => {
          const s = await openSession(tx, user.id);
          await users.touchLastLogin(tx, user.id);
          return s;
        },
        (s): AuditedOutcome[] => {
          // The actor of a successful login is the user who just proved who they are.
          const roles = user.roles.filter(isRoleName);
          const principal = {
            type: "user" as const,
            userId: user.id,
            username: user.username,
            roles,
            permissions: permissionsOfRoles(roles),
            sessionId: s.sessionId,
            credentialId: s.sessionId,
          };
          return [
            {
              principal,
              type: "auth.login.success",
              resourceType: "user",
              resourceId: user.id,
              details: { session_id: s.sessionId },
            },
            { principal, type: "auth.token.created", resourceType: "session", resourceId: s.sessionId },
          ];
        },
        { as: SYSTEM },
      );
      // A success forgives the account's failures and gives the address back this attempt's claim.
      await Promise.all([refundLoginAttempt(db.sql, accountKey, true), refundLoginAttempt(db.sql, addressKey, false)]);
      const issued = await accessToken(user, opened.sessionId);
      return {
        accessToken: issued.token,
        refreshToken: opened.refreshToken,
        expiresIn: issued.expiresIn,
        tokenType: "Bearer",
        user: userToProto(user),
      };
    },
  };
}

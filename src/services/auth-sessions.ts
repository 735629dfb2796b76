/**
 * Register, Login, Refresh, Logout and ChangePassword: the session lifecycle. Every state change
 * and its audit row share one transaction; bcrypt always runs outside transactions (it is slow and
 * must not hold a pooled connection) and after the brute-force check.
 */
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type {
  ChangePasswordRequest,
  LoginRequest,
  LogoutRequest,
  RefreshRequest,
  RegisterRequest,
} from "../../gen/memoric/v1/auth_pb.js";
import { invalidArgument } from "../domain/accounts.js";
import { unauthenticatedError } from "../domain/error-info.js";
import { FieldViolations } from "../domain/field-violations.js";
import { isRoleName, permissionsOfRoles } from "../domain/permissions.js";
import { hmacIdentifier } from "../domain/sanitize.js";
import { callInfo, callState, requirePrincipal } from "../interceptors/call-context.js";
import { clientAddressKey } from "../interceptors/request-context.js";
import { rateLimited } from "../interceptors/rate-limit.js";
import { checkPasswordPolicy, hashPassword, PasswordPolicyError, prepareDummyHash, verifyPassword } from "../security/passwords.js";
import { createAccount } from "./account-creation.js";
import { generateOpaqueToken, hashSecret } from "../security/secrets.js";
import type { AppDeps } from "../server/deps.js";
import type { RevocationCache } from "../interceptors/authn.js";
import * as sessions from "../store/identity/sessions.js";
import { refundLoginAttempt, reserveLoginAttempt, settleLoginFailure, type LoginLimits } from "../store/identity/throttle.js";
import * as users from "../store/identity/users.js";
import { inTx, SYSTEM, toConnectError, userContext, type Tx } from "../store/tx.js";
import { userToProto } from "./auth-mapping.js";

/** The one answer for unknown user, wrong password and inactive account. */
const BAD_LOGIN = "invalid username or password";

export function checkPassword(password: string, ctx: { username?: string; email?: string }, minLength: number): void {
  try {
    checkPasswordPolicy(password, ctx, { minLength });
  } catch (err) {
    if (err instanceof PasswordPolicyError) throw invalidArgument(err.field, err.message);
    throw err;
  }
}

function sessionFactory(deps: AppDeps) {
  /** Opens a session (refresh-token family) inside tx; the access token is signed after commit. */
  async function openSession(tx: Tx, userId: string): Promise<{ sessionId: string; refreshToken: string }> {
    const sessionId = await sessions.createSession(tx, userId, deps.config.auth.refreshTtlSeconds);
    const refreshToken = generateOpaqueToken(32);
    await sessions.insertRefreshToken(tx, sessionId, userId, hashSecret(refreshToken));
    return { sessionId, refreshToken };
  }
  async function accessToken(user: { id: string; roles: string[]; token_version: number }, sessionId: string) {
    return deps.tokens.issue({ userId: user.id, roles: user.roles, tokenVersion: user.token_version, sessionId });
  }
  return { openSession, accessToken };
}

export function sessionHandlers(deps: AppDeps, cache: RevocationCache) {
  const { config, db, audit, metrics } = deps;
  const { openSession, accessToken } = sessionFactory(deps);
  const abuse = config.abuse;
  const limits = (maxFailures: number): LoginLimits => ({ maxFailures, windowSeconds: abuse.loginWindowSeconds, lockoutSeconds: abuse.lockoutSeconds, maxLockoutSeconds: abuse.maxLockoutSeconds });
  const accountLimits = limits(abuse.loginFailuresPerAccount);
  const addressLimits = limits(abuse.loginFailuresPerAddress);
  // The dummy hash for unknown users is computed now, not on the first such login (which would then be slower).
  void prepareDummyHash(config.auth.bcryptCost).catch(() => {});

  async function register(req: RegisterRequest, ctx: HandlerContext) {
    // Role is always USER: nothing in the request can ask for more.
    const user = await createAccount(deps, callInfo(ctx), { username: req.username, email: req.email, fullName: req.fullName, password: req.password, roles: ["USER"] });
    callState(ctx).audited = true;
    return { user: userToProto(user) };
  }

  async function login(req: LoginRequest, ctx: HandlerContext) {
    const identifier = (req.username || req.email).trim();
    const missing = new FieldViolations();
    if (!identifier) missing.add("username", "username or email is required");
    if (!req.password) missing.add("password", "is required");
    missing.throwIfAny();
    const info = callInfo(ctx);
    const state = callState(ctx);
    const identifierHmac = hmacIdentifier(deps.secrets.identifierSalt, identifier.toLowerCase());

    const user = await inTx(db.sql, SYSTEM, (tx) => users.findUserByLogin(tx, identifier));
    // Keyed by user id when the account exists (username and email share one budget), else by the identifier.
    const accountKey = `login:acct:${user?.id ?? identifierHmac}`;
    const addressKey = `login:addr:${ctx.values.get(clientAddressKey)}`;
    // Each attempt is claimed before bcrypt runs, so parallel guesses cannot outrun the limit.
    const reservation = await (async () => {
      const byAddress = await reserveLoginAttempt(db.sql, addressKey, addressLimits);
      if (!byAddress.allowed) return { ...byAddress, scope: "login_address" as const };
      const byAccount = await reserveLoginAttempt(db.sql, accountKey, accountLimits);
      // No password was tried: the address gets its claim back (its budget counts failed passwords).
      if (!byAccount.allowed) await refundLoginAttempt(db.sql, addressKey, false);
      return { ...byAccount, scope: "login_account" as const };
    })().catch((e: unknown) => {
      throw toConnectError(e);
    });
    if (!reservation.allowed) {
      metrics.rateLimited(reservation.scope);
      metrics.loginFailed("throttled");
      state.eventType = "security.rate_limit.exceeded";
      state.details = { username_hmac: identifierHmac };
      throw rateLimited(reservation.retryAfterSeconds, "too many failed logins");
    }

    // Always one bcrypt compare, against a dummy hash when the user does not exist: same time either way.
    const passwordOk = await verifyPassword(req.password, user?.password_hash ?? null, { dummyCost: config.auth.bcryptCost });
    if (!user || !passwordOk || !user.active) {
      const [acct, addr] = await Promise.all([settleLoginFailure(db.sql, accountKey, accountLimits), settleLoginFailure(db.sql, addressKey, addressLimits)]);
      metrics.loginFailed(!user ? "unknown_user" : !passwordOk ? "wrong_password" : "inactive_account");
      if (acct.lockedForSeconds !== null) metrics.lockedOut("account");
      if (addr.lockedForSeconds !== null) metrics.lockedOut("address");
      await inTx(db.sql, SYSTEM, async (tx) => {
        await audit.record(tx, info, { type: "auth.login.failed", success: false, code: "unauthenticated", errorMessage: BAD_LOGIN, resourceType: "user", resourceId: user?.id, details: { username_hmac: identifierHmac } });
        const locked = acct.lockedForSeconds ?? addr.lockedForSeconds;
        if (locked !== null) {
          await audit.record(tx, info, { type: "security.account.locked", success: false, resourceType: "user", resourceId: user?.id, details: { username_hmac: identifierHmac, locked_seconds: locked, scope: acct.lockedForSeconds !== null ? "account" : "address" } });
        }
      });
      state.audited = true;
      throw unauthenticatedError(BAD_LOGIN, "CREDENTIAL_INVALID");
    }

    const opened = await inTx(db.sql, SYSTEM, async (tx) => {
      const s = await openSession(tx, user.id);
      await users.touchLastLogin(tx, user.id);
      // The actor of a successful login is the user who just proved who they are.
      const roles = user.roles.filter(isRoleName);
      const actor = { ...info, principal: { type: "user" as const, userId: user.id, username: user.username, roles, permissions: permissionsOfRoles(roles), sessionId: s.sessionId, credentialId: s.sessionId } };
      await audit.record(tx, actor, { type: "auth.login.success", success: true, resourceType: "user", resourceId: user.id, details: { session_id: s.sessionId } });
      await audit.record(tx, actor, { type: "auth.token.created", success: true, resourceType: "session", resourceId: s.sessionId });
      return s;
    });
    state.audited = true;
    // A success forgives the account's failures and gives the address back this attempt's claim.
    await Promise.all([refundLoginAttempt(db.sql, accountKey, true), refundLoginAttempt(db.sql, addressKey, false)]);
    const issued = await accessToken(user, opened.sessionId);
    return { accessToken: issued.token, refreshToken: opened.refreshToken, expiresIn: issued.expiresIn, tokenType: "Bearer", user: userToProto(user) };
  }

  async function refresh(req: RefreshRequest, ctx: HandlerContext) {
    if (!req.refreshToken) throw invalidArgument("refresh_token", "is required");
    const info = callInfo(ctx);
    const hash = hashSecret(req.refreshToken);
    const outcome = await inTx(db.sql, SYSTEM, async (tx) => {
      const spent = await sessions.spendRefreshToken(tx, hash);
      if (spent.kind === "reused") {
        await sessions.revokeSession(tx, spent.sessionId, "refresh token reuse");
        await audit.record(tx, info, { type: "auth.token.reuse_detected", success: false, code: "unauthenticated", resourceType: "session", resourceId: spent.sessionId, details: { user_id: spent.userId } });
        return { kind: "reused" as const, userId: spent.userId };
      }
      if (spent.kind === "invalid") return { kind: "invalid" as const };
      const user = await users.findUserById(tx, spent.userId);
      if (!user?.active) return { kind: "invalid" as const };
      const refreshToken = generateOpaqueToken(32);
      await sessions.insertRefreshToken(tx, spent.sessionId, user.id, hashSecret(refreshToken));
      await audit.record(tx, info, { type: "auth.token.refreshed", success: true, resourceType: "session", resourceId: spent.sessionId, details: { user_id: user.id } });
      return { kind: "rotated" as const, user, sessionId: spent.sessionId, refreshToken };
    });
    if (outcome.kind === "reused") {
      callState(ctx).audited = true;
      cache.invalidateUser(outcome.userId);
      throw unauthenticatedError("refresh token already used; the session has been revoked", "CREDENTIAL_INVALID");
    }
    if (outcome.kind === "invalid") throw unauthenticatedError("invalid or expired refresh token", "CREDENTIAL_INVALID");
    callState(ctx).audited = true;
    const issued = await accessToken(outcome.user, outcome.sessionId);
    return { accessToken: issued.token, refreshToken: outcome.refreshToken, expiresIn: issued.expiresIn, tokenType: "Bearer" };
  }

  async function logout(req: LogoutRequest, ctx: HandlerContext) {
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
      await audit.record(tx, info, { type: "auth.logout", success: true, resourceType: "user", resourceId: principal.userId, details: { all_sessions: req.allSessions, revoked_sessions: count } });
      return count;
    });
    callState(ctx).audited = true;
    cache.invalidateUser(principal.userId);
    return { revokedSessions: revoked };
  }

  async function changePassword(req: ChangePasswordRequest, ctx: HandlerContext) {
    const principal = requirePrincipal(ctx);
    if (!req.oldPassword) throw invalidArgument("old_password", "is required");
    const user = await inTx(db.sql, userContext(principal.userId), (tx) => users.findUserById(tx, principal.userId));
    if (!user) throw new ConnectError("account not found", Code.NotFound);
    // The old password is a guessable secret like a login's: same account budget, same lock.
    const accountKey = `login:acct:${user.id}`;
    const reservation = await reserveLoginAttempt(db.sql, accountKey, accountLimits).catch((e: unknown) => {
      throw toConnectError(e);
    });
    if (!reservation.allowed) {
      metrics.rateLimited("password_change");
      callState(ctx).eventType = "security.rate_limit.exceeded";
      throw rateLimited(reservation.retryAfterSeconds, "too many failed password attempts");
    }
    if (!(await verifyPassword(req.oldPassword, user.password_hash, { dummyCost: config.auth.bcryptCost }))) {
      const settled = await settleLoginFailure(db.sql, accountKey, accountLimits);
      if (settled.lockedForSeconds !== null) metrics.lockedOut("account");
      throw invalidArgument("old_password", "is incorrect");
    }
    await refundLoginAttempt(db.sql, accountKey, true);
    checkPassword(req.newPassword, { username: user.username, email: user.email }, config.auth.passwordMinLength);
    const passwordHash = await hashPassword(req.newPassword, config.auth.bcryptCost);
    const info = callInfo(ctx);
    const result = await inTx(db.sql, userContext(principal.userId), async (tx) => {
      const updated = await users.updateUser(tx, principal.userId, { passwordHash, bumpTokenVersion: true });
      // Every session ends, this one included; the caller continues on the fresh one returned.
      await sessions.revokeUserSessions(tx, principal.userId, "password changed");
      const opened = await openSession(tx, principal.userId);
      await audit.record(tx, info, { type: "user.password.changed", success: true, resourceType: "user", resourceId: principal.userId });
      return { user: updated!, ...opened };
    });
    callState(ctx).audited = true;
    cache.invalidateUser(principal.userId);
    const issued = await accessToken(result.user, result.sessionId);
    return { accessToken: issued.token, refreshToken: result.refreshToken, expiresIn: issued.expiresIn };
  }

  return { register, login, refresh, logout, changePassword };
}

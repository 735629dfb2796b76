/**
 * What Login, Refresh and ChangePassword share: opening a session (refresh-token family) and
 * signing its access token, and the brute-force budgets a guessed password is charged to.
 */
import type { AppContext } from "../../app-context.js";
import type { Config } from "../../config.js";
import { generateOpaqueToken, hashSecret } from "../../security/secrets.js";
import * as sessions from "../../store/identity/sessions.js";
import type { LoginLimits } from "../../store/identity/throttle.js";
import type { Tx } from "../../store/tx.js";

export function sessionFactory(deps: Pick<AppContext, "config" | "tokens">) {
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

/** Failed-password budgets: per account (Login and ChangePassword) and per client address (Login). */
export function loginLimits(abuse: Config["abuse"]): { accountLimits: LoginLimits; addressLimits: LoginLimits } {
  const limits = (maxFailures: number): LoginLimits => ({
    maxFailures,
    windowSeconds: abuse.loginWindowSeconds,
    lockoutSeconds: abuse.lockoutSeconds,
    maxLockoutSeconds: abuse.maxLockoutSeconds,
  });
  return { accountLimits: limits(abuse.loginFailuresPerAccount), addressLimits: limits(abuse.loginFailuresPerAddress) };
}

/**
 * Authentication: `authorization: Bearer <credential>` only — a JWT access token or an `mk_` API
 * key — becomes the call's Principal. Nothing in a request body or query string is ever read.
 * Public RPCs (per their access rule) are not authenticated at all. A presented credential that is
 * rejected counts against the client address's anonymous RPC budget (see rate-limit.ts).
 *
 * Revocation: a JWT is accepted only while its user is active, its token version is current and
 * its session is live. Those facts are cached in-process for at most config.auth.revocationCacheMs
 * (default 1 s): that is the documented bound on how long a revoked token may still be accepted.
 * The replica that makes a change also drops its own entries at once, so in practice the bound
 * only bites on other replicas (or for a request that loaded the old state just before the change).
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { unauthenticatedError, type AuthReason } from "../domain/error-info.js";
import { isUuid } from "../domain/validation.js";
import { RPCS } from "../domain/access-rules.js";
import {
  apiKeyPermissions,
  isPermission,
  isRoleName,
  permissionsOfRoles,
  type RoleName,
} from "../domain/permissions.js";
import { hashSecret, isApiKey } from "../security/secrets.js";
import { TokenError } from "../security/tokens.js";
import type { AppContext } from "../app-context.js";
import { authenticateApiKey } from "../store/identity/api-keys.js";
import { hitWindow } from "../store/identity/throttle.js";
import { loadAuthState } from "../store/identity/users.js";
import { loadDelegationState } from "../store/identity/delegation.js";
import { inTx, SYSTEM, toConnectError, type TxOptions } from "../store/tx.js";
import type { AuditEventType } from "../domain/audit-events.js";
import { withAuditEvent } from "../domain/audited-error.js";
import { clientAddressKey, principalKey, type Principal } from "../domain/call.js";
import { txOptionsOf } from "./call-context.js";
import { rateLimited } from "./rate-limit.js";
import type { RevocationCache } from "../security/revocation-cache.js";
import { overlay } from "../domain/objects.js";

/** Re-exported for the auth handlers, which import it from here. */
export { RevocationCache } from "../security/revocation-cache.js";

function unauthenticated(
  message: string,
  event: AuditEventType = "auth.token.invalid",
  reason: AuthReason = "CREDENTIAL_INVALID",
): ConnectError {
  return withAuditEvent(unauthenticatedError(message, reason), event);
}

/** A token that failed verification: expired, forged (an attack signature is a breach attempt) or malformed. */
function rejected(err: unknown, what: string): ConnectError {
  const expired = err instanceof TokenError && err.reason === "expired";
  const suspicious = err instanceof TokenError && err.suspicious;
  return unauthenticated(
    expired ? `${what} expired` : `invalid ${what}`,
    expired ? "auth.token.expired" : suspicious ? "security.breach.attempt" : "auth.token.invalid",
    expired ? "TOKEN_EXPIRED" : "CREDENTIAL_INVALID",
  );
}

function bearer(header: string | null): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer ([^\s]+)$/i.exec(header.trim());
  return m?.[1];
}

/** "api_key:<uuid>" or "session:<uuid>": the credential a delegated token was issued with. */
function parseCredential(crd: string): { kind: "api_key" | "session"; id: string } | undefined {
  const m = /^(api_key|session):(.+)$/.exec(crd);
  if (!m || !isUuid(m[2]!)) return undefined;
  return { kind: m[1] as "api_key" | "session", id: m[2]! };
}

function roleNames(roles: readonly string[]): RoleName[] {
  return roles.filter(isRoleName);
}

export function authnInterceptor(deps: AppContext, cache: RevocationCache = deps.revocations): Interceptor {
  async function fromJwt(token: string, call: TxOptions): Promise<Principal> {
    let claims;
    try {
      claims = await deps.tokens.verify(token);
    } catch (err) {
      throw rejected(err, "access token");
    }
    // Our ids are UUIDs; anything else would reach Postgres as a cast error (Internal), not a rejection.
    if (!isUuid(claims.sub) || !isUuid(claims.sid)) throw unauthenticated("invalid access token");
    const key = `${claims.sub}:${claims.sid}`;
    let auth = cache.jwt.get(key);
    if (auth === undefined) {
      const row = await inTx(
        deps.db.sql,
        SYSTEM,
        (tx) => loadAuthState(tx, claims.sub, claims.sid),
        overlay(call, { oneStatement: true }),
      );
      auth = row
        ? {
            username: row.username,
            roles: row.roles,
            active: row.active,
            tokenVersion: row.token_version,
            sessionRevoked: row.session_revoked !== false,
          }
        : null;
      cache.jwt.set(key, auth);
    }
    if (!auth?.active || auth.sessionRevoked || auth.tokenVersion !== claims.ver) {
      throw unauthenticated("access token revoked");
    }
    const roles = roleNames(auth.roles);
    return {
      type: "user",
      userId: claims.sub,
      username: auth.username,
      roles,
      permissions: permissionsOfRoles(roles),
      sessionId: claims.sid,
      credentialId: claims.jti,
    };
  }

  async function fromEndUserToken(token: string, call: TxOptions): Promise<Principal> {
    let claims;
    try {
      claims = await deps.tokens.verifyEndUser(token);
    } catch (err) {
      throw rejected(err, "end-user token");
    }
    const issuer = parseCredential(claims.crd);
    if (!isUuid(claims.sub) || !isUuid(claims.eu) || !issuer) throw unauthenticated("invalid end-user token");
    const key = `${claims.eu}:${claims.crd}`;
    let state = cache.endUsers.get(key);
    if (state === undefined) {
      const row = await inTx(
        deps.db.sql,
        SYSTEM,
        (tx) => loadDelegationState(tx, claims.sub, claims.eu, issuer),
        overlay(call, { oneStatement: true }),
      );
      state = row
        ? {
            username: row.username,
            roles: row.roles,
            active: row.active,
            ownerVersion: row.owner_version,
            issuerLive: row.issuer_live,
          }
        : null;
      cache.endUsers.set(key, state);
    }
    // Erased end user, revoked tokens, revoked issuing key or session, deactivated account.
    if (!state?.active || !state.issuerLive || state.ownerVersion !== claims.ver) {
      throw unauthenticated("end-user token revoked");
    }
    const roles = roleNames(state.roles);
    const granted = permissionsOfRoles(roles);
    return {
      type: "end_user",
      userId: claims.sub,
      username: state.username,
      roles,
      permissions: new Set(claims.perms.filter(isPermission).filter((p) => granted.has(p))),
      sessionId: issuer.id,
      credentialId: claims.jti,
      pinned: { ownerId: claims.eu, threadId: claims.thr },
    };
  }

  async function fromApiKey(key: string, call: TxOptions): Promise<Principal> {
    const hash = hashSecret(key);
    let row = cache.apiKeys.get(hash);
    if (row === undefined) {
      const found = await inTx(deps.db.sql, SYSTEM, (tx) => authenticateApiKey(tx, hash), call);
      row = found
        ? { id: found.id, userId: found.user_id, username: found.username, roles: found.roles, scopes: found.scopes }
        : null;
      cache.apiKeys.set(hash, row);
    }
    if (!row) throw unauthenticated("invalid API key");
    const roles = roleNames(row.roles);
    return {
      type: "api_key",
      userId: row.userId,
      username: row.username,
      roles,
      permissions: apiKeyPermissions(row.scopes, roles),
      sessionId: row.id,
      credentialId: row.id,
    };
  }

  return (next) => async (req) => {
    const procedure = `${req.service.typeName}/${req.method.name}`;
    if (RPCS[procedure]?.access === "public") return next(req);

    const header = req.header.get("authorization");
    const credential = bearer(header);
    if (!credential) {
      const message = header
        ? "malformed authorization header: expected 'Bearer <token>'"
        : "missing credential: send 'authorization: Bearer <token>'";
      throw unauthenticated(message, "auth.token.invalid", "CREDENTIAL_MISSING");
    }
    try {
      // Read before the principal is set: the look-up counts against no account's admission bucket.
      const call = txOptionsOf(req, req.contextValues);
      req.contextValues.set(
        principalKey,
        isApiKey(credential)
          ? await fromApiKey(credential, call)
          : deps.tokens.isEndUserToken(credential)
            ? await fromEndUserToken(credential, call)
            : await fromJwt(credential, call),
      );
    } catch (err) {
      // A rejected credential is an unauthenticated call: it spends the address's anonymous budget,
      // so guessing tokens or API keys is throttled like any other anonymous traffic.
      if (err instanceof ConnectError && err.code === Code.Unauthenticated) {
        const { abuse } = deps.config;
        const hit = await hitWindow(
          deps.db.sql,
          `rpc:a:${req.contextValues.get(clientAddressKey)}`,
          abuse.windowSeconds,
        ).catch((e: unknown) => {
          throw toConnectError(e);
        });
        if (hit.hits > abuse.anonymousRpcPerWindow) {
          deps.metrics.rateLimited("rpc_anonymous");
          throw withAuditEvent(rateLimited(hit.resetInSeconds, "rate limit exceeded"), "security.rate_limit.exceeded");
        }
      }
      throw err;
    }
    return next(req);
  };
}

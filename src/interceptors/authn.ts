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
import { apiKeyPermissions, isRoleName, permissionsOfRoles, type RoleName } from "../domain/permissions.js";
import { hashSecret, isApiKey } from "../security/secrets.js";
import { TokenError } from "../security/tokens.js";
import type { AppDeps } from "../server/deps.js";
import { authenticateApiKey } from "../store/identity/api-keys.js";
import { hitWindow } from "../store/identity/throttle.js";
import { loadAuthState } from "../store/identity/users.js";
import { inTx, SYSTEM, toConnectError } from "../store/tx.js";
import { callStateKey, type CallState, type Principal } from "./call-context.js";
import { rateLimited } from "./rate-limit.js";
import { clientAddressKey } from "./request-context.js";

interface Cached<T> {
  value: T;
  at: number;
}

/** A tiny TTL cache: bounded size, entries dropped on expiry or explicit invalidation. */
class TtlCache<T> {
  private readonly map = new Map<string, Cached<T>>();
  constructor(
    private readonly ttlMs: number,
    private readonly max = 10_000,
  ) {}
  get(key: string): T | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    if (Date.now() - hit.at >= this.ttlMs) {
      this.map.delete(key);
      return undefined;
    }
    return hit.value;
  }
  set(key: string, value: T): void {
    if (this.ttlMs <= 0) return;
    if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value!);
    this.map.set(key, { value, at: Date.now() });
  }
  deleteWhere(pred: (key: string) => boolean): void {
    for (const key of this.map.keys()) if (pred(key)) this.map.delete(key);
  }
}

export class RevocationCache {
  readonly jwt: TtlCache<{ username: string; roles: string[]; active: boolean; tokenVersion: number; sessionRevoked: boolean } | null>;
  readonly apiKeys: TtlCache<{ id: string; userId: string; username: string; roles: string[]; scopes: string[] } | null>;
  constructor(ttlMs: number) {
    this.jwt = new TtlCache(ttlMs);
    this.apiKeys = new TtlCache(ttlMs);
  }
  /** Called by the replica that changed the user (logout, password, roles, deactivation, deletion, key revocation). */
  invalidateUser(userId: string): void {
    this.jwt.deleteWhere((k) => k.startsWith(`${userId}:`));
    this.apiKeys.deleteWhere(() => true); // keyed by hash; small and rare enough to clear wholesale
  }
}

function unauthenticated(
  state: CallState,
  message: string,
  event: CallState["eventType"] = "auth.token.invalid",
  reason: AuthReason = "CREDENTIAL_INVALID",
): ConnectError {
  state.eventType = event;
  return unauthenticatedError(message, reason);
}

function bearer(header: string | null): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer ([^\s]+)$/i.exec(header.trim());
  return m?.[1];
}

function roleNames(roles: readonly string[]): RoleName[] {
  return roles.filter(isRoleName);
}

export function authnInterceptor(deps: AppDeps, cache: RevocationCache): Interceptor {
  async function fromJwt(token: string, state: CallState): Promise<Principal> {
    let claims;
    try {
      claims = await deps.tokens.verify(token);
    } catch (err) {
      const expired = err instanceof TokenError && err.reason === "expired";
      const suspicious = err instanceof TokenError && err.suspicious;
      throw unauthenticated(
        state,
        expired ? "access token expired" : "invalid access token",
        expired ? "auth.token.expired" : suspicious ? "security.breach.attempt" : "auth.token.invalid",
        expired ? "TOKEN_EXPIRED" : "CREDENTIAL_INVALID",
      );
    }
    // Our ids are UUIDs; anything else would reach Postgres as a cast error (Internal), not a rejection.
    if (!isUuid(claims.sub) || !isUuid(claims.sid)) throw unauthenticated(state, "invalid access token");
    const key = `${claims.sub}:${claims.sid}`;
    let auth = cache.jwt.get(key);
    if (auth === undefined) {
      const row = await inTx(deps.db.sql, SYSTEM, (tx) => loadAuthState(tx, claims.sub, claims.sid));
      auth = row
        ? { username: row.username, roles: row.roles, active: row.active, tokenVersion: row.token_version, sessionRevoked: row.session_revoked !== false }
        : null;
      cache.jwt.set(key, auth);
    }
    if (!auth?.active || auth.sessionRevoked || auth.tokenVersion !== claims.ver) {
      throw unauthenticated(state, "access token revoked");
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

  async function fromApiKey(key: string, state: CallState): Promise<Principal> {
    const hash = hashSecret(key);
    let row = cache.apiKeys.get(hash);
    if (row === undefined) {
      const found = await inTx(deps.db.sql, SYSTEM, (tx) => authenticateApiKey(tx, hash));
      row = found ? { id: found.id, userId: found.user_id, username: found.username, roles: found.roles, scopes: found.scopes } : null;
      cache.apiKeys.set(hash, row);
    }
    if (!row) throw unauthenticated(state, "invalid API key");
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
    let state = req.contextValues.get(callStateKey);
    if (!state) {
      state = { audited: false };
      req.contextValues.set(callStateKey, state);
    }
    const procedure = `${req.service.typeName}/${req.method.name}`;
    if (RPCS[procedure]?.access === "public") return next(req);

    const header = req.header.get("authorization");
    const credential = bearer(header);
    if (!credential) {
      const message = header ? "malformed authorization header: expected 'Bearer <token>'" : "missing credential: send 'authorization: Bearer <token>'";
      throw unauthenticated(state, message, "auth.token.invalid", "CREDENTIAL_MISSING");
    }
    try {
      state.principal = isApiKey(credential) ? await fromApiKey(credential, state) : await fromJwt(credential, state);
    } catch (err) {
      // A rejected credential is an unauthenticated call: it spends the address's anonymous budget,
      // so guessing tokens or API keys is throttled like any other anonymous traffic.
      if (err instanceof ConnectError && err.code === Code.Unauthenticated) {
        const { abuse } = deps.config;
        const hit = await hitWindow(deps.db.sql, `rpc:a:${req.contextValues.get(clientAddressKey)}`, abuse.windowSeconds).catch((e: unknown) => {
          throw toConnectError(e);
        });
        if (hit.hits > abuse.anonymousRpcPerWindow) {
          deps.metrics.rateLimited("rpc_anonymous");
          state.eventType = "security.rate_limit.exceeded";
          throw rateLimited(hit.resetInSeconds, "rate limit exceeded");
        }
      }
      throw err;
    }
    return next(req);
  };
}

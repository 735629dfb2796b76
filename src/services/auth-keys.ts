/** The caller's own API keys. A key's scope can never exceed the permissions of whoever creates it. */
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { CreateApiKeyRequest, RevokeApiKeyRequest } from "../../gen/memoric/v1/auth_pb.js";
import { invalidArgument, requireUuid } from "../domain/accounts.js";
import { permissionDenied } from "../domain/error-info.js";
import { isPermission } from "../domain/permissions.js";
import type { RevocationCache } from "../interceptors/authn.js";
import { callInfo, callState, requirePrincipal } from "../interceptors/call-context.js";
import { generateApiKey } from "../security/secrets.js";
import type { AppDeps } from "../server/deps.js";
import * as apiKeys from "../store/identity/api-keys.js";
import { inTx, userContext } from "../store/tx.js";
import { apiKeyToProto } from "./auth-mapping.js";

const MAX_TTL_SECONDS = 10 * 365 * 86_400;

export function apiKeyHandlers(deps: AppDeps, cache: RevocationCache) {
  const { db, audit } = deps;

  async function createApiKey(req: CreateApiKeyRequest, ctx: HandlerContext) {
    const principal = requirePrincipal(ctx);
    const name = req.name.trim();
    if (name.length < 1 || name.length > 100 || /[\u0000-\u001f\u007f]/.test(name)) {
      throw invalidArgument("name", "1-100 printable characters");
    }
    for (const scope of req.scopes) {
      if (!isPermission(scope)) throw invalidArgument("scopes", `unknown permission ${JSON.stringify(scope)}`);
      if (!principal.permissions.has(scope)) {
        throw permissionDenied(`scopes: you do not hold ${scope}`, "SCOPE_NOT_HELD", { permission: scope });
      }
    }
    // No scopes = everything the creator holds now (an API-key creator cannot widen its own scope).
    const scopes = req.scopes.length > 0 ? [...new Set(req.scopes)] : principal.type === "api_key" ? [...principal.permissions] : [];
    let expiresAt: Date | null = null;
    if (req.ttl) {
      const seconds = Number(req.ttl.seconds) + req.ttl.nanos / 1e9;
      if (!(seconds > 0) || seconds > MAX_TTL_SECONDS) throw invalidArgument("ttl", "between 1 second and 10 years");
      expiresAt = new Date(Date.now() + seconds * 1000);
    }
    const secret = generateApiKey();
    const row = await inTx(db.sql, userContext(principal.userId), async (tx) => {
      const inserted = await apiKeys.insertApiKey(tx, { userId: principal.userId, name, prefix: secret.prefix, hash: secret.hash, scopes, expiresAt });
      await audit.record(tx, callInfo(ctx), { type: "auth.apikey.created", success: true, resourceType: "api_key", resourceId: inserted.id, details: { scopes } });
      return inserted;
    });
    callState(ctx).audited = true;
    return { apiKey: apiKeyToProto(row), key: secret.key };
  }

  async function listApiKeys(_req: unknown, ctx: HandlerContext) {
    const principal = requirePrincipal(ctx);
    const rows = await inTx(db.sql, userContext(principal.userId), (tx) => apiKeys.listApiKeys(tx, principal.userId));
    callState(ctx).details = { count: rows.length };
    return { apiKeys: rows.map(apiKeyToProto) };
  }

  async function revokeApiKey(req: RevokeApiKeyRequest, ctx: HandlerContext) {
    const principal = requirePrincipal(ctx);
    const id = requireUuid("id", req.id);
    await inTx(db.sql, userContext(principal.userId), async (tx) => {
      if (!(await apiKeys.revokeApiKey(tx, principal.userId, id))) throw new ConnectError("API key not found", Code.NotFound);
      await audit.record(tx, callInfo(ctx), { type: "auth.apikey.revoked", success: true, resourceType: "api_key", resourceId: id });
    });
    callState(ctx).audited = true;
    cache.invalidateUser(principal.userId);
    return {};
  }

  return { createApiKey, listApiKeys, revokeApiKey };
}

/** CreateApiKey: a key's scope can never exceed the permissions of whoever creates it. */
import type { ServiceImpl } from "@connectrpc/connect";
import type { AuthService } from "../../../gen/memoric/v1/auth_pb.js";
import type { AppContext } from "../../app-context.js";
import { permissionDenied } from "../../domain/error-info.js";
import { invalidField } from "../../domain/field-violations.js";
import { isPermission } from "../../domain/permissions.js";
import { requirePrincipal } from "../../interceptors/call-context.js";
import { generateApiKey } from "../../security/secrets.js";
import * as apiKeys from "../../store/identity/api-keys.js";
import { withAuditedTx } from "../audited-tx.js";
import { apiKeyToProto } from "./mapping.js";

const MAX_TTL_SECONDS = 10 * 365 * 86_400;

export default function (app: AppContext): Partial<ServiceImpl<typeof AuthService>> {
  return {
    async createApiKey(req, ctx) {
      const principal = requirePrincipal(ctx);
      const name = req.name.trim();
      if (name.length < 1 || name.length > 100 || /[\u0000-\u001f\u007f]/.test(name)) {
        throw invalidField("name", "1-100 printable characters");
      }
      for (const scope of req.scopes) {
        if (!isPermission(scope)) throw invalidField("scopes", `unknown permission ${JSON.stringify(scope)}`);
        if (!principal.permissions.has(scope)) {
          throw permissionDenied(`scopes: you do not hold ${scope}`, "SCOPE_NOT_HELD", { permission: scope });
        }
      }
      // No scopes = everything the creator holds now (an API-key creator cannot widen its own scope).
      const scopes =
        req.scopes.length > 0
          ? [...new Set(req.scopes)]
          : principal.type === "api_key"
            ? [...principal.permissions]
            : [];
      let expiresAt: Date | null = null;
      if (req.ttl) {
        const seconds = Number(req.ttl.seconds) + req.ttl.nanos / 1e9;
        if (!(seconds > 0) || seconds > MAX_TTL_SECONDS) throw invalidField("ttl", "between 1 second and 10 years");
        expiresAt = new Date(Date.now() + seconds * 1000);
      }
      const secret = generateApiKey();
      const key = { userId: principal.userId, name, prefix: secret.prefix, hash: secret.hash, scopes, expiresAt };
      const row = await withAuditedTx(
        app,
        ctx,
        (tx) => apiKeys.insertApiKey(tx, key),
        (inserted) => ({
          resourceType: "api_key",
          resourceId: inserted.id,
          details: { scopes },
        }),
      );
      return { apiKey: apiKeyToProto(row), key: secret.key };
    },
  };
}

/**
 * CreateServiceAccount (admin): a backend's identity — no password, never a login — and its first API
 * key, shown once. Account and key are created in one transaction with both audit rows.
 */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { AuthService } from "../../../gen/memoric/v1/auth_pb.js";
import type { AppContext } from "../../app-context.js";
import { validateEmail, validateUsername } from "../../domain/accounts.js";
import { FieldViolations, invalidField } from "../../domain/field-violations.js";
import { isPermission, permissionsOfRoles, type RoleName } from "../../domain/permissions.js";
import { generateApiKey } from "../../security/secrets.js";
import * as apiKeys from "../../store/identity/api-keys.js";
import { insertUser } from "../../store/identity/users.js";
import { adminScope, withAuditedTx } from "../audited-tx.js";
import { alreadyRegistered } from "./accounts.js";
import { apiKeyToProto, roleFromProto, userToProto } from "./mapping.js";

const MAX_TTL_SECONDS = 10 * 365 * 86_400;

function roles(requested: number[]): RoleName[] {
  if (requested.length === 0) return ["USER"];
  const names = [...new Set(requested.map(roleFromProto))];
  if (names.some((r) => r === undefined)) throw invalidField("roles", "unknown role");
  if (names.includes("ADMIN")) throw invalidField("roles", "a service account cannot be ADMIN");
  return names as RoleName[];
}

export default (app: AppContext): Partial<ServiceImpl<typeof AuthService>> => ({
  async createServiceAccount(req, ctx) {
    const v = new FieldViolations();
    const username = v.check(() => validateUsername(req.username));
    const email = req.email.trim() === "" ? "" : v.check(() => validateEmail(req.email));
    const granted = v.check(() => roles(req.roles));
    const name = (req.keyName.trim() || "default").slice(0, 100);
    if (/[\u0000-\u001f\u007f]/.test(name)) v.add("key_name", "printable characters only");
    v.throwIfAny();
    const held = permissionsOfRoles(granted);
    for (const scope of req.scopes) {
      if (!isPermission(scope)) throw invalidField("scopes", `unknown permission ${JSON.stringify(scope)}`);
      if (!held.has(scope))
        throw new ConnectError(`scopes: the account's roles do not grant ${scope}`, Code.InvalidArgument);
    }
    let expiresAt: Date | null = null;
    if (req.keyTtl) {
      const seconds = Number(req.keyTtl.seconds) + req.keyTtl.nanos / 1e9;
      if (!(seconds > 0) || seconds > MAX_TTL_SECONDS) throw invalidField("key_ttl", "between 1 second and 10 years");
      expiresAt = new Date(Date.now() + seconds * 1000);
    }
    const secret = generateApiKey();
    const scopes = [...new Set(req.scopes)];
    const { user, key } = await withAuditedTx(
      app,
      ctx,
      async (tx) => {
        const user = await insertUser(tx, {
          username,
          email,
          fullName: "",
          passwordHash: "",
          roles: granted,
          serviceAccount: true,
        });
        const key = await apiKeys.insertApiKey(tx, {
          userId: user.id,
          name,
          prefix: secret.prefix,
          hash: secret.hash,
          scopes,
          expiresAt,
        });
        return { user, key };
      },
      (r) => [
        {
          type: "user.created",
          resourceType: "user",
          resourceId: r.user.id,
          details: { roles: granted, serviceAccount: true },
        },
        { type: "auth.apikey.created", resourceType: "api_key", resourceId: r.key.id, details: { scopes } },
      ],
      adminScope(ctx),
    ).catch(alreadyRegistered);
    return { user: userToProto(user), apiKey: apiKeyToProto(key), key: secret.key };
  },
});

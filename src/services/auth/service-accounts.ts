/**
 * Creating a service account, the one way: AuthService.CreateServiceAccount (an admin) and the
 * `memoric users create-service-account` CLI validate, store and audit identically — a backend's
 * identity with no password (never a login) and its first API key, shown once.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { AppContext } from "../../app-context.js";
import { validateEmail, validateUsername } from "../../domain/accounts.js";
import { FieldViolations, invalidField } from "../../domain/field-violations.js";
import { isPermission, isRoleName, permissionsOfRoles, type RoleName } from "../../domain/permissions.js";
import { generateApiKey } from "../../security/secrets.js";
import type { AuditEventInput, SystemActor } from "../../store/audit-log.js";
import * as apiKeys from "../../store/identity/api-keys.js";
import { insertUser, type UserRow } from "../../store/identity/users.js";
import { inTx, SYSTEM, type Tx } from "../../store/tx.js";
import { alreadyRegistered } from "./accounts.js";

const MAX_KEY_TTL_SECONDS = 10 * 365 * 86_400;

export interface NewServiceAccount {
  username: string;
  /** Optional contact address ("" for none). */
  email: string;
  /** Role names; empty means USER. Unknown names (undefined, or not a role) and ADMIN are refused. */
  roles: readonly (string | undefined)[];
  /** The first API key's name; "" means "default". */
  keyName: string;
  /** The first API key's scopes; empty means all of the account's permissions. */
  scopes: readonly string[];
  /** The first API key's lifetime; undefined means no expiry. */
  keyTtlSeconds?: number | undefined;
}

export interface PreparedServiceAccount {
  username: string;
  email: string;
  roles: RoleName[];
  keyName: string;
  scopes: string[];
  expiresAt: Date | null;
}

function roles(requested: readonly (string | undefined)[]): RoleName[] {
  if (requested.length === 0) return ["USER"];
  const names = [...new Set(requested)];
  if (names.some((r) => r === undefined || !isRoleName(r))) throw invalidField("roles", "unknown role");
  if (names.includes("ADMIN")) throw invalidField("roles", "a service account cannot be ADMIN");
  return names as RoleName[];
}

/** Validates every field (InvalidArgument with field violations); no I/O. */
export function prepareServiceAccount(input: NewServiceAccount): PreparedServiceAccount {
  const v = new FieldViolations();
  const username = v.check(() => validateUsername(input.username));
  const email = input.email.trim() === "" ? "" : v.check(() => validateEmail(input.email));
  const granted = v.check(() => roles(input.roles));
  const keyName = (input.keyName.trim() || "default").slice(0, 100);
  if (/[\u0000-\u001f\u007f]/.test(keyName)) v.add("key_name", "printable characters only");
  v.throwIfAny();
  const held = permissionsOfRoles(granted);
  for (const scope of input.scopes) {
    if (!isPermission(scope)) throw invalidField("scopes", `unknown permission ${JSON.stringify(scope)}`);
    if (!held.has(scope))
      throw new ConnectError(`scopes: the account's roles do not grant ${scope}`, Code.InvalidArgument);
  }
  let expiresAt: Date | null = null;
  if (input.keyTtlSeconds !== undefined) {
    const seconds = input.keyTtlSeconds;
    if (!(seconds > 0) || seconds > MAX_KEY_TTL_SECONDS) throw invalidField("key_ttl", "between 1 second and 10 years");
    expiresAt = new Date(Date.now() + seconds * 1000);
  }
  return { username, email, roles: granted, keyName, scopes: [...new Set(input.scopes)], expiresAt };
}

export interface StoredServiceAccount {
  user: UserRow;
  key: apiKeys.ApiKeyRow;
  /** The API key in clear ("mk_..."): shown once, stored only as a hash. */
  secret: string;
}

/** Stores the account and its first key inside the caller's transaction. */
export async function insertServiceAccount(tx: Tx, account: PreparedServiceAccount): Promise<StoredServiceAccount> {
  const secret = generateApiKey();
  const user = await insertUser(tx, {
    username: account.username,
    email: account.email,
    fullName: "",
    passwordHash: "",
    roles: account.roles,
    serviceAccount: true,
  });
  const key = await apiKeys.insertApiKey(tx, {
    userId: user.id,
    name: account.keyName,
    prefix: secret.prefix,
    hash: secret.hash,
    scopes: account.scopes,
    expiresAt: account.expiresAt,
  });
  return { user, key, secret: secret.key };
}

/** The audit rows of a creation: user.created and auth.apikey.created (no secret in either). */
export function serviceAccountCreated(account: PreparedServiceAccount, r: StoredServiceAccount): AuditEventInput[] {
  return [
    {
      type: "user.created",
      success: true,
      resourceType: "user",
      resourceId: r.user.id,
      details: { roles: account.roles, serviceAccount: true },
    },
    {
      type: "auth.apikey.created",
      success: true,
      resourceType: "api_key",
      resourceId: r.key.id,
      details: { scopes: account.scopes },
    },
  ];
}

/** A service account created by the system (the CLI), outside any RPC: one transaction with its audit rows. */
export async function createServiceAccount(
  app: Pick<AppContext, "db" | "audit">,
  actor: SystemActor,
  input: NewServiceAccount,
): Promise<StoredServiceAccount> {
  const account = prepareServiceAccount(input);
  return inTx(app.db.sql, SYSTEM, async (tx) => {
    const stored = await insertServiceAccount(tx, account);
    for (const event of serviceAccountCreated(account, stored)) await app.audit.record(tx, actor, event);
    return stored;
  }).catch(alreadyRegistered);
}

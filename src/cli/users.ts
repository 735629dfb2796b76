/**
 * `memoric users create`: the operator's way to make an account (e.g. the first admin);
 * `memoric users create-service-account`: a backend's account and its first API key.
 */
import { ConnectError } from "@connectrpc/connect";
import { isRoleName, type RoleName } from "../domain/permissions.js";
import type { AppContext } from "../app-context.js";
import { createAccount } from "../services/auth/accounts.js";
import { createServiceAccount } from "../services/auth/service-accounts.js";

export interface CreateUserArgs {
  username: string;
  email: string;
  fullName: string;
  role: string;
  password: string;
}

export async function usersCreateCommand(deps: AppContext, args: CreateUserArgs): Promise<string> {
  const role = args.role.toUpperCase().replace(/^ROLE_/, "");
  if (!isRoleName(role)) throw new Error(`--role: one of ADMIN, USER, READ_ONLY (got ${JSON.stringify(args.role)})`);
  try {
    const row = await createAccount(
      deps,
      { system: "cli" },
      {
        username: args.username,
        email: args.email,
        fullName: args.fullName,
        password: args.password,
        roles: [role as RoleName],
      },
    );
    return `created ${row.username} (${row.id}) with role ${role}`;
  } catch (err) {
    if (err instanceof ConnectError) throw new Error(err.rawMessage);
    throw err;
  }
}

export interface CreateServiceAccountArgs {
  username: string;
  email: string;
  /** Role names (USER, READ_ONLY; ADMIN is refused); empty means USER. */
  roles: string[];
  keyName: string;
}

/**
 * `memoric users create-service-account`: a backend's account (API keys only, no password) and its
 * first API key. Returns the lines to print; the key is the last one, shown this once.
 */
export async function usersCreateServiceAccountCommand(
  deps: AppContext,
  args: CreateServiceAccountArgs,
): Promise<string[]> {
  const roles = args.roles
    .map((r) =>
      r
        .trim()
        .toUpperCase()
        .replace(/^ROLE_/, ""),
    )
    .filter((r) => r !== "");
  const unknown = roles.filter((r) => !isRoleName(r));
  if (unknown.length > 0) throw new Error(`--roles: USER and/or READ_ONLY (got ${JSON.stringify(unknown.join(","))})`);
  try {
    const { user, key, secret } = await createServiceAccount(
      deps,
      { system: "cli" },
      { username: args.username, email: args.email, roles, keyName: args.keyName, scopes: [] },
    );
    return [
      `created service account ${user.username} (${user.id}) with role ${user.roles.join(", ")}`,
      `API key "${key.name}" (${key.id}), shown once — store it now:`,
      secret,
    ];
  } catch (err) {
    if (err instanceof ConnectError) throw new Error(err.rawMessage);
    throw err;
  }
}

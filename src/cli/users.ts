/** `memoric users create`: the operator's way to make an account (e.g. the first admin). */
import { ConnectError } from "@connectrpc/connect";
import { isRoleName, type RoleName } from "../domain/permissions.js";
import type { AppContext } from "../app-context.js";
import { createAccount } from "../services/auth/accounts.js";

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

/**
 * First admin at start-up from MEMORIC_BOOTSTRAP_ADMIN_{USERNAME,EMAIL,PASSWORD}: created with role
 * ADMIN when that username does not exist yet, under the normal password policy; a no-op on every
 * later start (idempotent, also when several replicas start together). There are no default accounts.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { createAccount } from "../services/auth/accounts.js";
import { findUserByLogin } from "../store/identity/users.js";
import { inTx, SYSTEM } from "../store/tx.js";
import type { AppContext } from "../app-context.js";

export async function ensureBootstrapAdmin(deps: AppContext): Promise<"created" | "exists" | "not-configured"> {
  const admin = deps.config.auth.bootstrapAdmin;
  if (!admin) return "not-configured";
  const existing = await inTx(deps.db.sql, SYSTEM, (tx) => findUserByLogin(tx, admin.username));
  if (existing) return "exists";
  try {
    const row = await createAccount(
      deps,
      { system: "bootstrap" },
      {
        username: admin.username,
        email: admin.email,
        fullName: "Administrator",
        password: admin.password,
        roles: ["ADMIN"],
      },
    );
    deps.logger.info({ userId: row.id, username: row.username }, "bootstrap admin created");
    return "created";
  } catch (err) {
    // Another replica won the race: fine.
    if (err instanceof ConnectError && err.code === Code.AlreadyExists) return "exists";
    if (err instanceof ConnectError && err.code === Code.InvalidArgument) {
      throw new Error(`MEMORIC_BOOTSTRAP_ADMIN_*: ${err.rawMessage}`);
    }
    throw err;
  }
}

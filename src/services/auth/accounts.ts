/**
 * Creating an account, the one way: Register (role USER), the start-up bootstrap admin and the
 * `memoric users create` CLI all validate, apply the password policy and audit identically.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { validateEmail, validateFullName, validateUsername } from "../../domain/accounts.js";
import { FieldViolations, invalidField } from "../../domain/field-violations.js";
import type { RoleName } from "../../domain/permissions.js";
import type { CallInfo } from "../../interceptors/call-context.js";
import { checkPasswordPolicy, hashPassword, PasswordPolicyError } from "../../security/passwords.js";
import type { AppDeps } from "../../server/deps.js";
import type { SystemActor } from "../../store/audit-log.js";
import { insertUser, type UserRow } from "../../store/identity/users.js";
import { inTx, isUniqueViolation, SYSTEM } from "../../store/tx.js";

export interface NewAccount {
  username: string;
  email: string;
  fullName: string;
  password: string;
  roles: RoleName[];
}

/** The password policy as a field violation (Register, ChangePassword and the CLI answer alike). */
export function checkPassword(
  password: string,
  ctx: { username?: string; email?: string },
  minLength: number,
): void {
  try {
    checkPasswordPolicy(password, ctx, { minLength });
  } catch (err) {
    if (err instanceof PasswordPolicyError) throw invalidField(err.field, err.message);
    throw err;
  }
}

export async function createAccount(
  deps: Pick<AppDeps, "config" | "db" | "audit">,
  actor: CallInfo | SystemActor,
  input: NewAccount,
): Promise<UserRow> {
  // Every bad field is reported at once; the password is checked against the names as given.
  const v = new FieldViolations();
  const username = v.check(() => validateUsername(input.username));
  const email = v.check(() => validateEmail(input.email));
  const fullName = v.check(() => validateFullName(input.fullName));
  const context = { username: username ?? input.username, email: email ?? input.email };
  v.check(() => checkPassword(input.password, context, deps.config.auth.passwordMinLength));
  v.throwIfAny();
  const passwordHash = await hashPassword(input.password, deps.config.auth.bcryptCost);
  try {
    return await inTx(deps.db.sql, SYSTEM, async (tx) => {
      const row = await insertUser(tx, { username, email, fullName, passwordHash, roles: input.roles });
      await deps.audit.record(tx, actor, {
        type: "user.created",
        success: true,
        resourceType: "user",
        resourceId: row.id,
        details: { roles: input.roles },
      });
      return row;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConnectError("username or email already registered", Code.AlreadyExists);
    throw err;
  }
}

/**
 * Creating an account, the one way: Register (role USER), the start-up bootstrap admin and the
 * `memoric users create` CLI all validate, apply the password policy and audit identically.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { AppContext } from "../../app-context.js";
import type { Config } from "../../config.js";
import { validateEmail, validateFullName, validateUsername } from "../../domain/accounts.js";
import { FieldViolations, invalidField } from "../../domain/field-violations.js";
import type { RoleName } from "../../domain/permissions.js";
import { checkPasswordPolicy, hashPassword, PasswordPolicyError } from "../../security/passwords.js";
import type { AuditEventInput, SystemActor } from "../../store/audit-log.js";
import { insertUser, type UserRow } from "../../store/identity/users.js";
import { inTx, isUniqueViolation, SYSTEM } from "../../store/tx.js";

export interface NewAccount {
  username: string;
  email: string;
  fullName: string;
  password: string;
  roles: RoleName[];
}

/** A validated account, its password hashed: what insertUser stores. */
export interface PreparedAccount extends Omit<NewAccount, "password"> {
  passwordHash: string;
}

/** The password policy as a field violation (Register, ChangePassword and the CLI answer alike). */
export function checkPassword(password: string, ctx: { username?: string; email?: string }, minLength: number): void {
  try {
    checkPasswordPolicy(password, ctx, { minLength });
  } catch (err) {
    if (err instanceof PasswordPolicyError) throw invalidField(err.field, err.message);
    throw err;
  }
}

/** Validates the account and hashes its password (bcrypt: before any transaction opens). */
export async function prepareAccount(auth: Config["auth"], input: NewAccount): Promise<PreparedAccount> {
  // Every bad field is reported at once; the password is checked against the names as given.
  const v = new FieldViolations();
  const username = v.check(() => validateUsername(input.username));
  const email = v.check(() => validateEmail(input.email));
  const fullName = v.check(() => validateFullName(input.fullName));
  const context = { username: username ?? input.username, email: email ?? input.email };
  v.check(() => checkPassword(input.password, context, auth.passwordMinLength));
  v.throwIfAny();
  const passwordHash = await hashPassword(input.password, auth.bcryptCost);
  return { username, email, fullName, passwordHash, roles: input.roles };
}

/** The user.created row. */
export function accountCreated(account: PreparedAccount, row: UserRow): AuditEventInput {
  const details = { roles: account.roles };
  return { type: "user.created", success: true, resourceType: "user", resourceId: row.id, details };
}

/** A taken username or email answers AlreadyExists, whoever creates the account. */
export function alreadyRegistered(err: unknown): never {
  if (isUniqueViolation(err)) throw new ConnectError("username or email already registered", Code.AlreadyExists);
  throw err;
}

/** An account created by the system (bootstrap admin, CLI), outside any RPC. */
export async function createAccount(
  app: Pick<AppContext, "config" | "db" | "audit">,
  actor: SystemActor,
  input: NewAccount,
): Promise<UserRow> {
  const account = await prepareAccount(app.config.auth, input);
  return inTx(app.db.sql, SYSTEM, async (tx) => {
    const row = await insertUser(tx, account);
    await app.audit.record(tx, actor, accountCreated(account, row));
    return row;
  }).catch(alreadyRegistered);
}

/** SQL for accounts. Callers choose the context (user, admin or system) through inTx. */
import type { Tx } from "../tx.js";

export interface UserRow {
  id: string;
  username: string;
  email: string;
  full_name: string;
  password_hash: string;
  roles: string[];
  active: boolean;
  token_version: number;
  created_at: Date;
  updated_at: Date;
  last_login_at: Date | null;
  /** A backend's identity: API keys only, never a password login. */
  service_account: boolean;
}

const COLUMNS =
  "id, username, email, full_name, password_hash, roles, active, token_version, created_at, updated_at, " +
  "last_login_at, service_account";

export async function insertUser(
  tx: Tx,
  u: {
    username: string;
    email: string;
    fullName: string;
    passwordHash: string;
    roles: string[];
    serviceAccount?: boolean;
  },
): Promise<UserRow> {
  const [row] = await tx<UserRow[]>`
    insert into users (username, email, full_name, password_hash, roles, service_account)
    values (${u.username}, ${u.email}, ${u.fullName}, ${u.passwordHash}, ${u.roles}, ${u.serviceAccount ?? false})
    returning ${tx.unsafe(COLUMNS)}`;
  return row!;
}

/** Login accepts a username or an email, case-insensitively; a service account never logs in. */
export async function findUserByLogin(tx: Tx, login: string): Promise<UserRow | undefined> {
  const [row] = await tx<UserRow[]>`
    select ${tx.unsafe(COLUMNS)} from users
    where lower(username) = lower(${login}) or lower(email) = lower(${login})
    limit 1`;
  return row;
}

export async function findUserById(tx: Tx, id: string): Promise<UserRow | undefined> {
  const [row] = await tx<UserRow[]>`select ${tx.unsafe(COLUMNS)} from users where id = ${id}`;
  return row;
}

export async function touchLastLogin(tx: Tx, id: string): Promise<void> {
  await tx`update users set last_login_at = now() where id = ${id}`;
}

/** Every change that must kill outstanding access tokens goes through a token_version bump. */
export async function updateUser(
  tx: Tx,
  id: string,
  change: { passwordHash?: string; roles?: string[]; active?: boolean; bumpTokenVersion: boolean },
): Promise<UserRow | undefined> {
  const [row] = await tx<UserRow[]>`
    update users set
      password_hash = coalesce(${change.passwordHash ?? null}, password_hash),
      roles = coalesce(${change.roles ?? null}::text[], roles),
      active = coalesce(${change.active ?? null}::boolean, active),
      token_version = token_version + ${change.bumpTokenVersion ? 1 : 0},
      updated_at = now()
    where id = ${id}
    returning ${tx.unsafe(COLUMNS)}`;
  return row;
}

export async function deleteUserRow(tx: Tx, id: string): Promise<boolean> {
  const rows = await tx`delete from users where id = ${id} returning id`;
  return rows.length > 0;
}

/**
 * Keyset pagination on (created_at, id): stable while users are added. The cursor carries
 * created_at at full (microsecond) precision as text: a JS Date keeps only milliseconds, which would
 * re-return rows created within the same millisecond. It is bound as text (postgres.js would
 * round-trip a timestamptz parameter through Date and drop the microseconds again).
 */
export async function listUsers(
  tx: Tx,
  pageSize: number,
  after: { createdAt: string; id: string } | undefined,
): Promise<{ rows: (UserRow & { cursor_created_at: string })[]; total: number }> {
  const cursorColumn = tx.unsafe(
    `to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_created_at`,
  );
  const rows = after
    ? await tx<(UserRow & { cursor_created_at: string })[]>`
        select ${tx.unsafe(COLUMNS)}, ${cursorColumn} from users
        where (created_at, id) > (${after.createdAt}::text::timestamptz, ${after.id}::uuid)
        order by created_at, id limit ${pageSize + 1}`
    : await tx<(UserRow & { cursor_created_at: string })[]>`
        select ${tx.unsafe(COLUMNS)}, ${cursorColumn} from users order by created_at, id limit ${pageSize + 1}`;
  const [count] = await tx<{ n: number }[]>`select count(*)::int as n from users`;
  return { rows, total: count?.n ?? 0 };
}

/** What authentication needs on every call, in one round trip. */
export interface AuthState {
  username: string;
  roles: string[];
  active: boolean;
  token_version: number;
  session_revoked: boolean | null;
}

export async function loadAuthState(tx: Tx, userId: string, sessionId: string): Promise<AuthState | undefined> {
  const [row] = await tx<AuthState[]>`
    select u.username, u.roles, u.active, u.token_version,
      (select s.revoked_at is not null or s.expires_at < now()
       from sessions s where s.id = ${sessionId} and s.user_id = u.id) as session_revoked
    from users u where u.id = ${userId}`;
  return row;
}

/**
 * Admin user management: the explicit admin path. Every handler runs its SQL in the admin database
 * context (RLS admits admin-context rows) and writes its audit row in the same transaction.
 */
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { DeleteUserRequest, ListUsersRequest, SetUserActiveRequest, SetUserRolesRequest } from "../../gen/memoric/v1/auth_pb.js";
import { invalidArgument, requireUuid } from "../domain/accounts.js";
import type { RoleName } from "../domain/permissions.js";
import type { RevocationCache } from "../interceptors/authn.js";
import { callInfo, callState, requirePrincipal } from "../interceptors/call-context.js";
import type { AppDeps } from "../server/deps.js";
import { revokeAllApiKeys } from "../store/identity/api-keys.js";
import { eraseUserData } from "../store/erase-user.js";
import { revokeUserSessions } from "../store/identity/sessions.js";
import * as users from "../store/identity/users.js";
import { inTx, type DbContext } from "../store/tx.js";
import { roleFromProto, userToProto } from "./auth-mapping.js";

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 500;

function encodeCursor(row: { cursor_created_at: string; id: string }): string {
  return Buffer.from(JSON.stringify({ c: row.cursor_created_at, i: row.id })).toString("base64url");
}

/** created_at as listUsers renders it: UTC, microseconds. */
const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

function decodeCursor(token: string): { createdAt: string; id: string } {
  try {
    const { c, i } = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { c: unknown; i: unknown };
    // The round trip refuses dates JS would roll over (Feb 30) but Postgres would fail to cast.
    if (typeof c !== "string" || !CURSOR_TIME.test(c) || new Date(c).toISOString().slice(0, 19) !== c.slice(0, 19)) throw new Error("bad date");
    return { createdAt: c, id: requireUuid("page_token", String(i)) };
  } catch {
    throw invalidArgument("page_token", "not a token returned by ListUsers");
  }
}

export function adminHandlers(deps: AppDeps, cache: RevocationCache) {
  const { db, audit } = deps;
  const adminContext = (ctx: HandlerContext): DbContext => ({ kind: "admin", userId: requirePrincipal(ctx).userId });

  async function listUsers(req: ListUsersRequest, ctx: HandlerContext) {
    if (req.pageSize < 0 || req.pageSize > MAX_PAGE_SIZE) throw invalidArgument("page_size", `between 1 and ${MAX_PAGE_SIZE}`);
    const pageSize = req.pageSize || DEFAULT_PAGE_SIZE;
    const after = req.pageToken ? decodeCursor(req.pageToken) : undefined;
    const { rows, total } = await inTx(db.sql, adminContext(ctx), (tx) => users.listUsers(tx, pageSize, after));
    const page = rows.slice(0, pageSize);
    const last = page.at(-1);
    callState(ctx).details = { count: page.length };
    return { users: page.map(userToProto), nextPageToken: rows.length > pageSize && last ? encodeCursor(last) : "", totalSize: BigInt(total) };
  }

  async function setUserRoles(req: SetUserRolesRequest, ctx: HandlerContext) {
    const principal = requirePrincipal(ctx);
    const userId = requireUuid("user_id", req.userId);
    const roles = [...new Set(req.roles.map(roleFromProto))];
    if (roles.length === 0 || roles.includes(undefined)) throw invalidArgument("roles", "one or more of ROLE_ADMIN, ROLE_USER, ROLE_READ_ONLY");
    if (userId === principal.userId && !roles.includes("ADMIN")) {
      throw new ConnectError("you cannot remove your own ADMIN role", Code.FailedPrecondition);
    }
    const user = await inTx(db.sql, adminContext(ctx), async (tx) => {
      const before = await users.findUserById(tx, userId);
      if (!before) throw new ConnectError("user not found", Code.NotFound);
      const updated = await users.updateUser(tx, userId, { roles: roles as RoleName[], bumpTokenVersion: true });
      await audit.record(tx, callInfo(ctx), { type: "user.roles.changed", success: true, resourceType: "user", resourceId: userId, details: { from: before.roles, to: roles } });
      return updated!;
    });
    callState(ctx).audited = true;
    cache.invalidateUser(userId);
    return { user: userToProto(user) };
  }

  async function setUserActive(req: SetUserActiveRequest, ctx: HandlerContext) {
    const principal = requirePrincipal(ctx);
    const userId = requireUuid("user_id", req.userId);
    if (userId === principal.userId && !req.active) throw new ConnectError("you cannot deactivate yourself", Code.FailedPrecondition);
    const user = await inTx(db.sql, adminContext(ctx), async (tx) => {
      const updated = await users.updateUser(tx, userId, { active: req.active, bumpTokenVersion: !req.active });
      if (!updated) throw new ConnectError("user not found", Code.NotFound);
      if (!req.active) {
        await revokeUserSessions(tx, userId, "deactivated");
        await revokeAllApiKeys(tx, userId);
      }
      await audit.record(tx, callInfo(ctx), { type: req.active ? "user.activated" : "user.deactivated", success: true, resourceType: "user", resourceId: userId });
      return updated;
    });
    callState(ctx).audited = true;
    cache.invalidateUser(userId);
    return { user: userToProto(user) };
  }

  async function deleteUser(req: DeleteUserRequest, ctx: HandlerContext) {
    const principal = requirePrincipal(ctx);
    const userId = requireUuid("user_id", req.userId);
    if (userId === principal.userId) throw new ConnectError("you cannot delete yourself", Code.FailedPrecondition);
    const erased = await inTx(db.sql, adminContext(ctx), async (tx) => {
      if (!(await users.findUserById(tx, userId))) throw new ConnectError("user not found", Code.NotFound);
      // Crypto-shredding first (the wrapped data key, then the rows), then the account; sessions,
      // refresh tokens and API keys go with it (ON DELETE CASCADE). One transaction, audit row included.
      const counts = await eraseUserData(tx, userId);
      await users.deleteUserRow(tx, userId);
      await audit.record(tx, callInfo(ctx), { type: "user.deleted", success: true, resourceType: "user", resourceId: userId, details: { ...counts } });
      return counts;
    });
    callState(ctx).audited = true;
    cache.invalidateUser(userId);
    return { dataErased: true, memoriesDeleted: BigInt(erased.memories) };
  }

  return { listUsers, setUserRoles, setUserActive, deleteUser };
}

/**
 * IssueEndUserToken: a short-lived JWT ("eu+jwt") pinned to one end user — and to one thread when
 * asked — carrying a subset of the caller's memory permissions, for a browser or an agent to call
 * MemoryService directly. It dies with the end user, with RevokeEndUserTokens, with the issuing API
 * key or session, and with the account (checked on every call, cached ≤ the revocation bound).
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { IssueEndUserTokenResponseSchema, type EndUserService } from "../../../gen/memoric/v1/end_users_pb.js";
import type { AppContext } from "../../app-context.js";
import { FieldViolations, invalidField } from "../../domain/field-violations.js";
import { DELEGABLE_PERMISSIONS, isPermission, type Permission } from "../../domain/permissions.js";
import { requirePrincipal } from "../../interceptors/call-context.js";
import { findEndUser } from "../../store/end-users.js";
import { withAuditedTx } from "../audited-tx.js";
import { identifier } from "../memory/validation.js";
import { createEndUser, endUserIdOf, ownerScope } from "../owners.js";
import { toEndUser } from "./mapping.js";

const DEFAULT_TTL_SECONDS = 15 * 60;
const MAX_TTL_SECONDS = 60 * 60;
const DEFAULT_PERMISSIONS: readonly Permission[] = ["memories:read", "memories:write"];

function ttlSeconds(ttl: { seconds: bigint; nanos: number } | undefined): number {
  if (!ttl) return DEFAULT_TTL_SECONDS;
  const seconds = Math.floor(Number(ttl.seconds) + ttl.nanos / 1e9);
  if (!(seconds >= 1) || seconds > MAX_TTL_SECONDS) throw invalidField("ttl", "between 1 second and 1 hour");
  return seconds;
}

/** The delegated permissions: known memory permissions only (InvalidArgument), all held by the caller. */
function delegated(requested: readonly string[], held: ReadonlySet<Permission>): Permission[] {
  if (requested.length === 0) return DEFAULT_PERMISSIONS.filter((p) => held.has(p));
  const violations = new FieldViolations();
  requested.forEach((p, i) => {
    if (!isPermission(p) || !DELEGABLE_PERMISSIONS.includes(p)) {
      violations.add(`permissions[${i}]`, `"${p}" cannot be delegated; one of ${DELEGABLE_PERMISSIONS.join(", ")}`);
    }
  });
  violations.throwIfAny();
  const perms = [...new Set(requested as Permission[])];
  const missing = perms.filter((p) => !held.has(p));
  if (missing.length > 0) {
    throw new ConnectError(`cannot delegate permissions you do not hold: ${missing.join(", ")}`, Code.PermissionDenied);
  }
  return perms;
}

export default (app: AppContext): Partial<ServiceImpl<typeof EndUserService>> => ({
  async issueEndUserToken(req, ctx) {
    const principal = requirePrincipal(ctx);
    const permissions = delegated(req.permissions, principal.permissions);
    const threadId = identifier(req.threadId, "thread_id") || undefined;
    const ttl = ttlSeconds(req.ttl);
    const accountId = principal.userId;
    const owner = { accountId, ownerId: await endUserIdOf(app, ctx, req.endUserId), externalId: req.endUserId };
    const credential =
      principal.type === "api_key" ? `api_key:${principal.credentialId}` : `session:${principal.sessionId}`;
    const issue = () =>
      withAuditedTx(
        app,
        ctx,
        async (tx) => {
          const row = await findEndUser(tx, owner);
          if (!row) return undefined;
          const token = await app.tokens.issueEndUser({
            accountId,
            ownerId: owner.ownerId,
            permissions,
            threadId,
            tokenVersion: row.token_version,
            credential,
            ttlSeconds: ttl,
          });
          return { row, token };
        },
        (r) =>
          r
            ? {
                resourceType: "end_user",
                resourceId: owner.ownerId,
                details: { permissions, threadPinned: threadId !== undefined, ttlSeconds: ttl, jti: r.token.jti },
              }
            : [],
        ownerScope(owner),
      );
    let issued = await issue();
    if (!issued) {
      if (!app.config.memory.endUsersAutoCreate) throw new ConnectError("end user not found", Code.NotFound);
      await createEndUser(app, ctx, owner, false);
      issued = await issue();
      if (!issued) throw new ConnectError("end user was erased concurrently, retry", Code.Aborted);
    }
    return create(IssueEndUserTokenResponseSchema, {
      token: issued.token.token,
      expiresAt: timestampFromDate(issued.token.expiresAt),
      expiresIn: issued.token.expiresIn,
      endUser: toEndUser(req.endUserId, issued.row),
      permissions,
    });
  },
});

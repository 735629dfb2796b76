/**
 * Whose memories a call acts on (DESIGN.md §9). The account always comes from the credential. A
 * delegated token pins one end user (and maybe one thread): naming any other is PermissionDenied.
 * An account-level credential acts for its own memories, or for the end user its request names.
 * End user ids are derived (never looked up) from the account's index key, so resolving one costs no
 * query; only a write needs the end user to exist, and creates it on first use when allowed.
 */
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { AppContext } from "../app-context.js";
import { endUserKey } from "../domain/call.js";
import { endUserOwnerId, externalIdProblem } from "../domain/end-users.js";
import { invalidField } from "../domain/field-violations.js";
import { requirePrincipal } from "../interceptors/call-context.js";
import { endUserHash } from "../security/blind-index.js";
import { DataKey } from "../security/crypto.js";
import { findEndUser, insertEndUser } from "../store/end-users.js";
import { seal, unseal } from "../store/memory-rows.js";
import type { Owner } from "../store/owner.js";
import { inTx, userContext } from "../store/tx.js";
import { txOptions, withAuditedTx } from "./audited-tx.js";
import { overlay } from "../domain/objects.js";

/** An owner as a call sees it: plus the backend's external id ("" for the account's own memories). */
export interface CallOwner extends Owner {
  externalId: string;
}

function externalIdAd(owner: Owner) {
  return { table: "owners", column: "external_id", rowId: owner.ownerId, ownerId: owner.accountId };
}

/** The internal id of the account's end user `externalId` (validated; InvalidArgument names `field`). */
export async function endUserIdOf(
  app: AppContext,
  ctx: HandlerContext,
  externalId: string,
  field = "end_user_id",
): Promise<string> {
  const problem = externalIdProblem(externalId);
  if (problem) throw invalidField(field, `end_user_id ${problem}`);
  const accountId = requirePrincipal(ctx).userId;
  const key = await app.keys.ensure(app.db.sql, accountId, txOptions(ctx));
  return endUserOwnerId(accountId, endUserHash(key.blindIndexKey(), externalId));
}

function actFor(ctx: HandlerContext, owner: CallOwner): CallOwner {
  if (owner.ownerId !== owner.accountId) ctx.values.set(endUserKey, owner.ownerId);
  return owner;
}

/** The owner a memory call acts for. `endUserId` is the request's end_user_id field ("" when unset). */
export async function callOwner(app: AppContext, ctx: HandlerContext, endUserId: string): Promise<CallOwner> {
  const principal = requirePrincipal(ctx);
  const accountId = principal.userId;
  const pin = principal.pinned;
  if (pin) {
    if (endUserId !== "" && (await endUserIdOf(app, ctx, endUserId)) !== pin.ownerId) {
      throw new ConnectError("this token acts for one end user only", Code.PermissionDenied);
    }
    const owner = { accountId, ownerId: pin.ownerId, threadId: pin.threadId };
    return actFor(ctx, overlay(owner, { externalId: endUserId || (await externalIdOf(app, ctx, owner)) }));
  }
  if (endUserId === "") return { accountId, ownerId: accountId, externalId: "" };
  return actFor(ctx, { accountId, ownerId: await endUserIdOf(app, ctx, endUserId), externalId: endUserId });
}

/** The backend's external id of an existing end user (decrypted with the account's key, then cached). */
async function externalIdOf(app: AppContext, ctx: HandlerContext, owner: Owner): Promise<string> {
  const cached = app.keys.externalId(owner.ownerId);
  if (cached !== undefined) return cached;
  const row = await inTx(
    app.db.sql,
    userContext(owner.accountId, owner.ownerId),
    (tx) => findEndUser(tx, owner),
    txOptions(ctx),
  );
  if (!row) throw new ConnectError("end user not found", Code.NotFound);
  return openExternalId(app, ctx, owner, row.external_id_ct);
}

/** Decrypts a stored external id under the account's key. */
export async function openExternalId(
  app: AppContext,
  ctx: HandlerContext,
  owner: Owner,
  ciphertext: Uint8Array,
): Promise<string> {
  const cached = app.keys.externalId(owner.ownerId);
  if (cached !== undefined) return cached;
  const accountKey = await app.keys.ensure(app.db.sql, owner.accountId, txOptions(ctx));
  // Sealed ids start with Tink's output prefix byte 0x01; a plaintext one (encryption off) cannot,
  // since ids never contain control characters (domain/end-users.ts).
  const encrypted = ciphertext.length > 0 && ciphertext[0] === 1;
  let externalId: string;
  try {
    externalId = await unseal(accountKey, encrypted, ciphertext, externalIdAd(owner));
  } catch {
    app.keys.decryptionFailed("data_key");
    throw new ConnectError("stored end user id could not be decrypted", Code.DataLoss);
  }
  app.keys.rememberExternalId(owner.ownerId, externalId);
  return externalId;
}

/**
 * Creates the end user with a data key of its own, in one audited transaction (end_user.created);
 * an existing one is left as it is. `asOutcome`: the row is the call's outcome (CreateEndUser), not
 * a side effect of a first write. Returns whether this call created it.
 */
export async function createEndUser(
  app: AppContext,
  ctx: HandlerContext,
  owner: CallOwner,
  asOutcome: boolean,
): Promise<boolean> {
  const accountKey = await app.keys.ensure(app.db.sql, owner.accountId, txOptions(ctx));
  const key = await DataKey.generate();
  const [wrapped, masterKeyId] = await app.keys.wrap(owner.ownerId, key);
  const sealed = await seal(accountKey, app.config.memory.encryption, owner.externalId, externalIdAd(owner));
  const created = await withAuditedTx(
    app,
    ctx,
    async (tx) =>
      insertEndUser(tx, {
        id: owner.ownerId,
        accountId: owner.accountId,
        externalIdCt: sealed.ct,
        wrappedKey: wrapped,
        masterKeyId,
      }),
    (isNew) =>
      isNew || asOutcome
        ? { type: "end_user.created", resourceType: "end_user", resourceId: owner.ownerId, details: { created: isNew } }
        : [],
    { as: userContext(owner.accountId, owner.ownerId), sideEffect: !asOutcome },
  );
  if (created) app.keys.remember(owner.ownerId, key);
  app.keys.rememberExternalId(owner.ownerId, owner.externalId);
  return created;
}

/**
 * The data key a write seals with: the account's own (created on first use), or the end user's —
 * creating the end user first when it is new and auto-creation is on (else NotFound).
 */
export async function writeKey(app: AppContext, ctx: HandlerContext, owner: CallOwner): Promise<DataKey> {
  if (owner.ownerId === owner.accountId) return app.keys.ensure(app.db.sql, owner.accountId, txOptions(ctx));
  const cached = app.keys.cached(owner.ownerId);
  if (cached) return cached;
  const load = () =>
    inTx(
      app.db.sql,
      userContext(owner.accountId, owner.ownerId),
      (tx) => app.keys.load(tx, owner.ownerId),
      txOptions(ctx),
    );
  const existing = await load();
  if (existing) return existing;
  if (requirePrincipal(ctx).pinned || !app.config.memory.endUsersAutoCreate) {
    throw new ConnectError("end user not found: create it first (EndUserService.CreateEndUser)", Code.NotFound);
  }
  await createEndUser(app, ctx, owner, false);
  const key = await load();
  if (!key) throw new ConnectError("end user was erased concurrently, retry", Code.Aborted);
  return key;
}

/** A delegated token pinned to a thread may not name another one. */
export function assertThreadAllowed(owner: Owner, ...threadIds: string[]): void {
  if (owner.threadId === undefined) return;
  if (threadIds.some((t) => t !== "" && t !== owner.threadId)) {
    throw new ConnectError("this token acts for one thread only", Code.PermissionDenied);
  }
}

/** Per-owner scope for the handler's transactions: RLS confines them to that owner too. */
export function ownerScope(owner: Owner) {
  return { as: userContext(owner.accountId, owner.ownerId) };
}

/**
 * ExportMemories: every matching memory with its history, streamed page by page (one short
 * transaction each) — one owner's (the data-subject access request for an end user), or with
 * all_end_users the whole account's: its own memories, then each end user's, each naming its end user.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { ExportMemoriesResponseSchema, type MemoryService } from "../../../gen/memoric/v1/memory_pb.js";
import type { AppContext } from "../../app-context.js";
import type { ReadOutcome } from "../../domain/call.js";
import { requirePrincipal } from "../../interceptors/call-context.js";
import { listEndUsers, type EndUserCursor } from "../../store/end-users.js";
import { listMemories, readHistory, type ListCursor } from "../../store/memories.js";
import type { MemoryFilterInput } from "../../store/memory-filters.js";
import { userContext, type Tx } from "../../store/tx.js";
import { describeRead, withReadTx } from "../audited-tx.js";
import { assertThreadAllowed, callOwner, openExternalId, ownerScope, type CallOwner } from "../owners.js";
import { toMemory, toVersion } from "./mapping.js";
import * as v from "./validation.js";
import { overlay } from "../../domain/objects.js";

const EXPORT_PAGE = 100;

export default (app: AppContext): Partial<ServiceImpl<typeof MemoryService>> => ({
  async *exportMemories(req, ctx) {
    const filter = v.filter(req.filter);
    let count = 0;
    let owners = 0;
    // Read when the stream ends, so the row counts what was actually sent.
    const exported = (): ReadOutcome => ({
      resourceType: "memory",
      details: req.allEndUsers ? { count, owners, allEndUsers: true } : { count },
    });
    describeRead(ctx, exported);
    const sources = req.allEndUsers
      ? accountOwners(app, ctx, req.endUserId, exported)
      : oneOwner(app, ctx, req.endUserId);
    for await (const owner of sources) {
      assertThreadAllowed(owner, filter.threadId ?? "");
      owners++;
      for await (const item of ownerExport(app, ctx, owner, filter, exported)) {
        count++;
        yield item;
      }
    }
  },
});

async function* oneOwner(app: AppContext, ctx: HandlerContext, endUserId: string): AsyncGenerator<CallOwner> {
  yield await callOwner(app, ctx, endUserId);
}

/** The account's own memories, then each of its end users, oldest first. Account-level credentials only. */
async function* accountOwners(
  app: AppContext,
  ctx: HandlerContext,
  endUserId: string,
  exported: () => ReadOutcome,
): AsyncGenerator<CallOwner> {
  const principal = requirePrincipal(ctx);
  if (principal.pinned) throw new ConnectError("a delegated token cannot export the account", Code.PermissionDenied);
  if (endUserId !== "") throw v.invalid("all_end_users", "cannot be combined with end_user_id");
  const accountId = principal.userId;
  yield { accountId, ownerId: accountId, externalId: "" };
  let after: EndUserCursor | undefined;
  do {
    const cursor = after;
    const list = (tx: Tx) => listEndUsers(tx, accountId, EXPORT_PAGE, cursor);
    const page = await withReadTx(app, ctx, list, exported, { as: userContext(accountId) });
    for (const row of page.rows) {
      const owner = { accountId, ownerId: row.id };
      yield overlay(owner, { externalId: await openExternalId(app, ctx, owner, row.external_id_ct) });
    }
    after = page.next;
  } while (after);
}

async function* ownerExport(
  app: AppContext,
  ctx: HandlerContext,
  owner: CallOwner,
  filter: MemoryFilterInput,
  exported: () => ReadOutcome,
) {
  let after: ListCursor | undefined;
  do {
    const cursor = after;
    const page = await withReadTx(
      app,
      ctx,
      async (tx) => {
        const { memories, next } = await listMemories(app, tx, owner, filter, EXPORT_PAGE, cursor);
        const ids = memories.map((m) => m.id);
        const history = ids.length ? await readHistory(app, tx, owner, ids) : new Map();
        return { memories, next, history };
      },
      exported,
      ownerScope(owner),
    );
    for (const memory of page.memories) {
      const versions = page.history.get(memory.id) ?? [];
      yield create(ExportMemoriesResponseSchema, {
        memory: toMemory(memory, owner.externalId),
        versions: versions.map(toVersion),
      });
    }
    after = page.next;
  } while (after);
}

/** CreateMemory: one memory, owned by the caller; a repeated idempotency key replays the first. */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { CreateMemoryResponseSchema, type MemoryService } from "../../../gen/memoric/v1/memory_pb.js";
import type { AppContext } from "../../app-context.js";
import { prepareMemories } from "../../store/memories.js";
import { createMemoryWithOptions } from "../../store/memory-supersede.js";
import { withAuditedTx } from "../audited-tx.js";
import { callOwner, writeKey } from "../owners.js";
import { inThread } from "./thread-pin.js";
import { createOutcome, toMemory } from "./mapping.js";
import * as v from "./validation.js";

export default (app: AppContext): Partial<ServiceImpl<typeof MemoryService>> => ({
  async createMemory(req, ctx) {
    const owner = await callOwner(app, ctx, req.endUserId);
    const input = inThread(owner, v.newMemory(req, app.config.memory));
    const opts = v.createOptions(req);
    const prepared = await prepareMemories(app, await writeKey(app, ctx, owner), owner, [input]);
    const r = await withAuditedTx(
      app,
      ctx,
      (tx) => createMemoryWithOptions(app, tx, owner, prepared[0]!, opts),
      ...createOutcome(prepared[0]!, opts, owner),
    );
    return create(CreateMemoryResponseSchema, {
      memory: toMemory(r.memories[0]!, owner.externalId),
      replayed: r.replayed[0]!,
      duplicateOf: r.duplicateOf ?? "",
      merged: r.merged,
    });
  },
});

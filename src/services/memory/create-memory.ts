/** CreateMemory: one memory, owned by the caller; a repeated idempotency key replays the first. */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { CreateMemoryResponseSchema, type MemoryService } from "../../../gen/memoric/v1/memory_pb.js";
import type { AppContext } from "../../app-context.js";
import { insertMemories, prepareMemories } from "../../store/memories.js";
import { withAuditedTx } from "../audited-tx.js";
import { callOwner, writeKey } from "../owners.js";
import { inThread } from "./thread-pin.js";
import { createdOutcome, toMemory } from "./mapping.js";
import * as v from "./validation.js";

export default (app: AppContext): Partial<ServiceImpl<typeof MemoryService>> => ({
  async createMemory(req, ctx) {
    const owner = await callOwner(app, ctx, req.endUserId);
    const input = inThread(owner, v.newMemory(req, app.config.memory));
    const prepared = await prepareMemories(app, await writeKey(app, ctx, owner), owner, [input]);
    const { memories, replayed } = await withAuditedTx(
      app,
      ctx,
      (tx) => insertMemories(app, tx, owner, prepared),
      ...createdOutcome(prepared, owner),
    );
    return create(CreateMemoryResponseSchema, {
      memory: toMemory(memories[0]!, owner.externalId),
      replayed: replayed[0]!,
    });
  },
});

/** BatchCreateMemories: several memories in one transaction, all or nothing. */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { BatchCreateMemoriesResponseSchema, type MemoryService } from "../../../gen/memoric/v1/memory_pb.js";
import type { AppContext } from "../../app-context.js";
import { insertMemories, prepareMemories } from "../../store/memories.js";
import { withAuditedTx } from "../audited-tx.js";
import { callOwner, writeKey } from "../owners.js";
import { inThread } from "./thread-pin.js";
import { createdOutcome, toMemory } from "./mapping.js";
import * as v from "./validation.js";

export default (app: AppContext): Partial<ServiceImpl<typeof MemoryService>> => ({
  async batchCreateMemories(req, ctx) {
    const inputs = v.batch(req.memories, app.config.memory);
    for (const [i, item] of req.memories.entries()) {
      if (item.endUserId !== "" && item.endUserId !== req.endUserId) {
        throw v.invalid(`memories[${i}].end_user_id`, "must be empty or equal to the batch's end_user_id");
      }
    }
    const owner = await callOwner(app, ctx, req.endUserId);
    const pinned = inputs.map((input) => inThread(owner, input));
    const prepared = await prepareMemories(app, await writeKey(app, ctx, owner), owner, pinned);
    const { memories } = await withAuditedTx(
      app,
      ctx,
      (tx) => insertMemories(app, tx, owner, prepared),
      ...createdOutcome(prepared, owner),
    );
    return create(BatchCreateMemoriesResponseSchema, { memories: memories.map((m) => toMemory(m, owner.externalId)) });
  },
});

/** BatchCreateMemories: several memories in one transaction, all or nothing. */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { BatchCreateMemoriesResponseSchema, type MemoryService } from "../../../gen/memoric/v1/memory_pb.js";
import type { AppContext } from "../../app-context.js";
import { requirePrincipal } from "../../interceptors/call-context.js";
import { insertMemories, prepareMemories } from "../../store/memories.js";
import { userDataKey, withAuditedTx } from "../audited-tx.js";
import { created, toMemory } from "./mapping.js";
import * as v from "./validation.js";

export default (app: AppContext): Partial<ServiceImpl<typeof MemoryService>> => ({
  async batchCreateMemories(req, ctx) {
    const inputs = v.batch(req.memories, app.config.memory);
    const userId = requirePrincipal(ctx).userId;
    const prepared = await prepareMemories(app, await userDataKey(app, ctx), userId, inputs);
    const { memories } = await withAuditedTx(
      app,
      ctx,
      (tx) => insertMemories(app, tx, userId, prepared),
      (r) => created(r),
    );
    return create(BatchCreateMemoriesResponseSchema, { memories: memories.map(toMemory) });
  },
});

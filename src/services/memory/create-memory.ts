/** CreateMemory: one memory, owned by the caller; a repeated idempotency key replays the first. */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { CreateMemoryResponseSchema, type MemoryService } from "../../../gen/memoric/v1/memory_pb.js";
import type { AppContext } from "../../app-context.js";
import { requirePrincipal } from "../../interceptors/call-context.js";
import { insertMemories, prepareMemories } from "../../store/memories.js";
import { userDataKey, withAuditedTx } from "../audited-tx.js";
import { created, toMemory } from "./mapping.js";
import * as v from "./validation.js";

export default (app: AppContext): Partial<ServiceImpl<typeof MemoryService>> => ({
  async createMemory(req, ctx) {
    const input = v.newMemory(req, app.config.memory);
    const userId = requirePrincipal(ctx).userId;
    const prepared = await prepareMemories(app, await userDataKey(app, ctx), userId, [input]);
    const { memories, replayed } = await withAuditedTx(
      app,
      ctx,
      (tx) => insertMemories(app, tx, userId, prepared),
      (r) => created(r),
    );
    return create(CreateMemoryResponseSchema, { memory: toMemory(memories[0]!), replayed: replayed[0]! });
  },
});

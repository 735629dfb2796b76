/** UpdateMemory: a patch; the previous state stays in the memory's history. */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { UpdateMemoryResponseSchema, type MemoryService } from "../../../gen/memoric/v1/memory_pb.js";
import type { AppContext } from "../../app-context.js";
import { requirePrincipal } from "../../interceptors/call-context.js";
import { updateMemory } from "../../store/memories.js";
import { userDataKey, withAuditedTx } from "../audited-tx.js";
import { toMemory } from "./mapping.js";
import * as v from "./validation.js";

export default (app: AppContext): Partial<ServiceImpl<typeof MemoryService>> => ({
  async updateMemory(req, ctx) {
    const id = v.memoryId(req.id);
    const patch = v.patch(req, app.config.memory);
    const userId = requirePrincipal(ctx).userId;
    const key = await userDataKey(app, ctx);
    const outcome = { resourceType: "memory", resourceId: id, details: { fields: Object.keys(patch).sort() } };
    const m = await withAuditedTx(app, ctx, (tx) => updateMemory(app, tx, key, userId, id, patch), outcome);
    return create(UpdateMemoryResponseSchema, { memory: toMemory(m) });
  },
});

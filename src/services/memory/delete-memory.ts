/** DeleteMemory: one memory with its terms and history. */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { DeleteMemoryResponseSchema, type MemoryService } from "../../../gen/memoric/v1/memory_pb.js";
import type { AppContext } from "../../app-context.js";
import { deleteMemory } from "../../store/memories.js";
import { withAuditedTx } from "../audited-tx.js";
import { callOwner, ownerScope } from "../owners.js";
import * as v from "./validation.js";

export default (app: AppContext): Partial<ServiceImpl<typeof MemoryService>> => ({
  async deleteMemory(req, ctx) {
    const id = v.memoryId(req.id);
    const owner = await callOwner(app, ctx, req.endUserId);
    const outcome = { resourceType: "memory", resourceId: id, details: { count: 1 } };
    await withAuditedTx(app, ctx, (tx) => deleteMemory(tx, owner, id), outcome, ownerScope(owner));
    return create(DeleteMemoryResponseSchema, {});
  },
});

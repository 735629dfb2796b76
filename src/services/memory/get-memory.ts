/** GetMemory: one of the caller's memories by id. */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { GetMemoryResponseSchema, type MemoryService } from "../../../gen/memoric/v1/memory_pb.js";
import type { AppContext } from "../../app-context.js";
import { getMemory } from "../../store/memories.js";
import { withReadTx } from "../audited-tx.js";
import { callOwner, ownerScope } from "../owners.js";
import { toMemory } from "./mapping.js";
import * as v from "./validation.js";

export default (app: AppContext): Partial<ServiceImpl<typeof MemoryService>> => ({
  async getMemory(req, ctx) {
    const id = v.memoryId(req.id);
    const owner = await callOwner(app, ctx, req.endUserId);
    const described = { resourceType: "memory", resourceId: id };
    const m = await withReadTx(app, ctx, (tx) => getMemory(app, tx, owner, id), described, ownerScope(owner));
    return create(GetMemoryResponseSchema, { memory: toMemory(m, owner.externalId) });
  },
});

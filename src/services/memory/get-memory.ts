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
import { overlay } from "../../domain/objects.js";

export default (app: AppContext): Partial<ServiceImpl<typeof MemoryService>> => ({
  async getMemory(req, ctx) {
    const id = v.memoryId(req.id);
    const owner = await callOwner(app, ctx, req.endUserId);
    const described = { resourceType: "memory", resourceId: id };
    // With the owner's key in hand the read is one statement, and its COMMIT rides right behind it.
    const key = app.keys.cached(owner.ownerId);
    const scope = overlay(ownerScope(owner), { singleStatement: key !== undefined });
    const m = await withReadTx(app, ctx, (tx) => getMemory(app, tx, owner, id, key), described, scope);
    return create(GetMemoryResponseSchema, { memory: toMemory(m, owner.externalId) });
  },
});

/** UpdateMemory: a patch; the previous state stays in the memory's history. */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { UpdateMemoryResponseSchema, type MemoryService } from "../../../gen/memoric/v1/memory_pb.js";
import type { AppContext } from "../../app-context.js";
import { updateMemory } from "../../store/memories.js";
import type { Tx } from "../../store/tx.js";
import { withAuditedTx } from "../audited-tx.js";
import { assertThreadAllowed, callOwner, ownerScope, writeKey } from "../owners.js";
import { toMemory } from "./mapping.js";
import * as v from "./validation.js";

export default (app: AppContext): Partial<ServiceImpl<typeof MemoryService>> => ({
  async updateMemory(req, ctx) {
    const id = v.memoryId(req.id);
    const patch = v.patch(req, app.config.memory);
    const owner = await callOwner(app, ctx, req.endUserId);
    assertThreadAllowed(owner, patch.threadId ?? "");
    const key = await writeKey(app, ctx, owner);
    const outcome = { resourceType: "memory", resourceId: id, details: { fields: Object.keys(patch).sort() } };
    const update = (tx: Tx) => updateMemory(app, tx, key, owner, id, patch);
    const m = await withAuditedTx(app, ctx, update, outcome, ownerScope(owner));
    return create(UpdateMemoryResponseSchema, { memory: toMemory(m, owner.externalId) });
  },
});

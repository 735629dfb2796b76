/** DeleteMemories: every memory matching a filter; an empty filter needs all = true. */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { DeleteMemoriesResponseSchema, type MemoryService } from "../../../gen/memoric/v1/memory_pb.js";
import type { AppContext } from "../../app-context.js";
import { deleteMemories } from "../../store/memories.js";
import { isEmptyFilter } from "../../store/memory-filters.js";
import { withAuditedTx } from "../audited-tx.js";
import { assertThreadAllowed, callOwner, ownerScope } from "../owners.js";
import * as v from "./validation.js";

export default (app: AppContext): Partial<ServiceImpl<typeof MemoryService>> => ({
  async deleteMemories(req, ctx) {
    const filter = v.filter(req.filter);
    if (isEmptyFilter(filter) && !req.all) throw v.invalid("filter", "empty; set all = true to delete every memory");
    const owner = await callOwner(app, ctx, req.endUserId);
    assertThreadAllowed(owner, filter.threadId ?? "");
    const n = await withAuditedTx(
      app,
      ctx,
      (tx) => deleteMemories(app, tx, owner, filter),
      (count) => ({ resourceType: "memory", details: { count, byFilter: true } }),
      ownerScope(owner),
    );
    return create(DeleteMemoriesResponseSchema, { deletedCount: BigInt(n) });
  },
});

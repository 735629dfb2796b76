/** GetMemoryHistory: a memory's superseded versions, oldest first, then its current state. */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { GetMemoryHistoryResponseSchema, type MemoryService } from "../../../gen/memoric/v1/memory_pb.js";
import type { AppContext } from "../../app-context.js";
import { getMemoryHistory } from "../../store/memories.js";
import { withReadTx } from "../audited-tx.js";
import { callOwner, ownerScope } from "../owners.js";
import { toVersion } from "./mapping.js";
import * as v from "./validation.js";

export default (app: AppContext): Partial<ServiceImpl<typeof MemoryService>> => ({
  async getMemoryHistory(req, ctx) {
    const id = v.memoryId(req.id);
    const owner = await callOwner(app, ctx, req.endUserId);
    const versions = await withReadTx(
      app,
      ctx,
      (tx) => getMemoryHistory(app, tx, owner, id),
      (list) => ({ resourceType: "memory", resourceId: id, details: { count: list.length } }),
      ownerScope(owner),
    );
    return create(GetMemoryHistoryResponseSchema, { versions: versions.map(toVersion) });
  },
});

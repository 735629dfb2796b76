/** RebuildClusters: recomputes the caller's clusters, replacing the old ones atomically. */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { RebuildClustersResponseSchema, type MemoryService } from "../../../gen/memoric/v1/memory_pb.js";
import type { AppContext } from "../../app-context.js";
import { rebuildClustersTx } from "../../store/clusters.js";
import { withAuditedTx } from "../audited-tx.js";
import { callOwner, ownerScope, writeKey } from "../owners.js";
import { clustersOwner } from "./thread-pin.js";

export default (app: AppContext): Partial<ServiceImpl<typeof MemoryService>> => ({
  async rebuildClusters(req, ctx) {
    const owner = clustersOwner(await callOwner(app, ctx, req.endUserId));
    const key = await writeKey(app, ctx, owner);
    const n = await withAuditedTx(
      app,
      ctx,
      (tx) => rebuildClustersTx(app, tx, key, owner),
      (count) => ({ resourceType: "cluster", details: { count } }),
      ownerScope(owner),
    );
    return create(RebuildClustersResponseSchema, { clusterCount: n });
  },
});

/** RebuildClusters: recomputes the caller's clusters, replacing the old ones atomically. */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { RebuildClustersResponseSchema, type MemoryService } from "../../../gen/memoric/v1/memory_pb.js";
import type { AppContext } from "../../app-context.js";
import { requirePrincipal } from "../../interceptors/call-context.js";
import { rebuildClustersTx } from "../../store/clusters.js";
import { userDataKey, withAuditedTx } from "../audited-tx.js";

export default (app: AppContext): Partial<ServiceImpl<typeof MemoryService>> => ({
  async rebuildClusters(_req, ctx) {
    const userId = requirePrincipal(ctx).userId;
    const key = await userDataKey(app, ctx);
    const n = await withAuditedTx(
      app,
      ctx,
      (tx) => rebuildClustersTx(app, tx, key, userId),
      (count) => ({ resourceType: "cluster", details: { count } }),
    );
    return create(RebuildClustersResponseSchema, { clusterCount: n });
  },
});

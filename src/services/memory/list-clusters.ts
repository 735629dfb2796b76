/** ListClusters: the caller's memory clusters, largest first (as of the last rebuild). */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { ListClustersResponseSchema, type MemoryService } from "../../../gen/memoric/v1/memory_pb.js";
import type { AppContext } from "../../app-context.js";
import { listClusters } from "../../store/clusters.js";
import { withReadTx } from "../audited-tx.js";
import { callOwner, ownerScope } from "../owners.js";
import { clustersOwner } from "./thread-pin.js";
import { toCluster } from "./mapping.js";
import * as v from "./validation.js";
import { pageSize } from "../../domain/validation.js";

export default (app: AppContext): Partial<ServiceImpl<typeof MemoryService>> => ({
  async listClusters(req, ctx) {
    const limit = pageSize("limit", req.limit, { default: 50, max: 500 });
    const topic = v.label(req.topic, "topic");
    const owner = clustersOwner(await callOwner(app, ctx, req.endUserId));
    const clusters = await withReadTx(
      app,
      ctx,
      (tx) => listClusters(app, tx, owner, topic, limit),
      (list) => ({ resourceType: "cluster", details: { count: list.length } }),
      ownerScope(owner),
    );
    return create(ListClustersResponseSchema, { clusters: clusters.map(toCluster) });
  },
});

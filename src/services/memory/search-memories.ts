/** SearchMemories: BM25 over the blind index, with recency, importance and boosts (store/memory-search.ts). */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { SearchMemoriesResponseSchema, type MemoryService } from "../../../gen/memoric/v1/memory_pb.js";
import type { AppContext } from "../../app-context.js";
import { requirePrincipal } from "../../interceptors/call-context.js";
import { searchMemories } from "../../store/memory-search.js";
import { withReadTx } from "../audited-tx.js";
import { toScored } from "./mapping.js";
import * as v from "./validation.js";

export default (app: AppContext): Partial<ServiceImpl<typeof MemoryService>> => ({
  async searchMemories(req, ctx) {
    const input = v.search(req, app.config.memory);
    const userId = requirePrincipal(ctx).userId;
    const results = await withReadTx(
      app,
      ctx,
      (tx) => searchMemories(app, tx, userId, input),
      (r) => ({ resourceType: "memory", details: { count: r.length, explain: req.explain } }),
    );
    return create(SearchMemoriesResponseSchema, { results: results.map((r) => toScored(r, req.explain)) });
  },
});

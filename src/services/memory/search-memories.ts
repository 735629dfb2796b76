/** SearchMemories: BM25 over the blind index, with recency, importance and boosts (store/memory-search.ts). */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { SearchMemoriesResponseSchema, type MemoryService } from "../../../gen/memoric/v1/memory_pb.js";
import type { AppContext } from "../../app-context.js";
import { searchMemories } from "../../store/memory-search.js";
import { withReadTx } from "../audited-tx.js";
import { assertThreadAllowed, callOwner, ownerScope } from "../owners.js";
import { toScored } from "./mapping.js";
import * as v from "./validation.js";

export default (app: AppContext): Partial<ServiceImpl<typeof MemoryService>> => ({
  async searchMemories(req, ctx) {
    const input = v.search(req, app.config.memory);
    const owner = await callOwner(app, ctx, req.endUserId);
    assertThreadAllowed(owner, req.threadId, input.filter.threadId ?? "");
    const results = await withReadTx(
      app,
      ctx,
      (tx) => searchMemories(app, tx, owner, input),
      (r) => ({ resourceType: "memory", details: { count: r.length, explain: req.explain } }),
      ownerScope(owner),
    );
    const scored = results.map((r) => toScored(r, req.explain, owner.externalId));
    return create(SearchMemoriesResponseSchema, { results: scored });
  },
});

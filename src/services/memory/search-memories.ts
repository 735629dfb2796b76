/**
 * SearchMemories: BM25 over the blind index, with recency, importance and boosts, fused with
 * embedding similarity when vectors are on (store/memory-search.ts, store/memory-vectors.ts).
 */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { SearchMemoriesResponseSchema, type MemoryService } from "../../../gen/memoric/v1/memory_pb.js";
import type { AppContext } from "../../app-context.js";
import { searchHybrid, searchIsOneStatement } from "../../store/memory-search.js";
import { withReadTx } from "../audited-tx.js";
import { assertThreadAllowed, callOwner, ownerScope } from "../owners.js";
import { toScored } from "./mapping.js";
import { queryVector, searchMode } from "./query-vector.js";
import * as v from "./validation.js";
import { overlay } from "../../domain/objects.js";

export default (app: AppContext): Partial<ServiceImpl<typeof MemoryService>> => ({
  async searchMemories(req, ctx) {
    const input = v.search(req, app.config.memory);
    const owner = await callOwner(app, ctx, req.endUserId);
    assertThreadAllowed(owner, req.threadId, input.filter.threadId ?? "");
    // Embedded before the transaction: no connection is held while the provider answers.
    const q = await queryVector(app, input);
    const query = overlay(input, { queryVector: q.vector });
    // With the owner's key in hand and no dense index to consult, the search is one statement.
    const key = app.keys.cached(owner.ownerId);
    const r = await withReadTx(
      app,
      ctx,
      (tx) => searchHybrid(app, tx, owner, query, key),
      (r) => ({ resourceType: "memory", details: { count: r.results.length, explain: req.explain, dense: r.dense } }),
      overlay(ownerScope(owner), { singleStatement: searchIsOneStatement(app, query, key), genericPlans: true }),
    );
    const mode = searchMode(q, r.dense, input.query.trim() !== "" || q.vector !== undefined, app);
    const scored = r.results.map((s) => toScored(s, req.explain, owner.externalId));
    return create(SearchMemoriesResponseSchema, { results: scored, mode });
  },
});

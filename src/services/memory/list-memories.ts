/** ListMemories: the caller's memories, newest first, page by page (keyset cursor). */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { ListMemoriesResponseSchema, type MemoryService } from "../../../gen/memoric/v1/memory_pb.js";
import type { AppContext } from "../../app-context.js";
import { listMemories } from "../../store/memories.js";
import { withReadTx } from "../audited-tx.js";
import { assertThreadAllowed, callOwner, ownerScope } from "../owners.js";
import { toMemory } from "./mapping.js";
import * as v from "./validation.js";
import { pageSize } from "../../domain/validation.js";

export default (app: AppContext): Partial<ServiceImpl<typeof MemoryService>> => ({
  async listMemories(req, ctx) {
    const filter = v.filter(req.filter);
    const size = pageSize("page_size", req.pageSize, { default: 50, max: 500 });
    const cursor = v.decodeListToken(req.pageToken);
    const owner = await callOwner(app, ctx, req.endUserId);
    assertThreadAllowed(owner, filter.threadId ?? "");
    const page = await withReadTx(
      app,
      ctx,
      (tx) => listMemories(app, tx, owner, filter, size, cursor),
      (p) => ({ resourceType: "memory", details: { count: p.memories.length } }),
      ownerScope(owner),
    );
    const nextPageToken = page.next ? v.encodeListToken(page.next) : "";
    const memories = page.memories.map((m) => toMemory(m, owner.externalId));
    return create(ListMemoriesResponseSchema, { memories, nextPageToken });
  },
});

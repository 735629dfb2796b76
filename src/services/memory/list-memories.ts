/** ListMemories: the caller's memories, newest first, page by page (keyset cursor). */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { ListMemoriesResponseSchema, type MemoryService } from "../../../gen/memoric/v1/memory_pb.js";
import type { AppContext } from "../../app-context.js";
import { requirePrincipal } from "../../interceptors/call-context.js";
import { listMemories } from "../../store/memories.js";
import { withReadTx } from "../audited-tx.js";
import { toMemory } from "./mapping.js";
import * as v from "./validation.js";
import { pageSize } from "../../domain/validation.js";

export default (app: AppContext): Partial<ServiceImpl<typeof MemoryService>> => ({
  async listMemories(req, ctx) {
    const filter = v.filter(req.filter);
    const size = pageSize("page_size", req.pageSize, { default: 50, max: 500 });
    const cursor = v.decodeListToken(req.pageToken);
    const userId = requirePrincipal(ctx).userId;
    const page = await withReadTx(
      app,
      ctx,
      (tx) => listMemories(app, tx, userId, filter, size, cursor),
      (p) => ({ resourceType: "memory", details: { count: p.memories.length } }),
    );
    const nextPageToken = page.next ? v.encodeListToken(page.next) : "";
    return create(ListMemoriesResponseSchema, { memories: page.memories.map(toMemory), nextPageToken });
  },
});

/** ExportMemories: every matching memory with its history, streamed page by page (one short transaction each). */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { ExportMemoriesResponseSchema, type MemoryService } from "../../../gen/memoric/v1/memory_pb.js";
import type { AppContext } from "../../app-context.js";
import type { ReadOutcome } from "../../domain/call.js";
import { requirePrincipal } from "../../interceptors/call-context.js";
import { listMemories, readHistory, type ListCursor } from "../../store/memories.js";
import { describeRead, withReadTx } from "../audited-tx.js";
import { toMemory, toVersion } from "./mapping.js";
import * as v from "./validation.js";

const EXPORT_PAGE = 100;

export default (app: AppContext): Partial<ServiceImpl<typeof MemoryService>> => ({
  async *exportMemories(req, ctx) {
    const filter = v.filter(req.filter);
    const userId = requirePrincipal(ctx).userId;
    let count = 0;
    // Read when the stream ends, so the row counts what was actually sent.
    const exported = (): ReadOutcome => ({ resourceType: "memory", details: { count } });
    describeRead(ctx, exported);
    let after: ListCursor | undefined;
    do {
      const cursor = after;
      const page = await withReadTx(
        app,
        ctx,
        async (tx) => {
          const { memories, next } = await listMemories(app, tx, userId, filter, EXPORT_PAGE, cursor);
          const history = memories.length
            ? await readHistory(
                app,
                tx,
                userId,
                memories.map((m) => m.id),
              )
            : new Map();
          return { memories, next, history };
        },
        exported,
      );
      for (const memory of page.memories) {
        count++;
        const versions = page.history.get(memory.id) ?? [];
        yield create(ExportMemoriesResponseSchema, { memory: toMemory(memory), versions: versions.map(toVersion) });
      }
      after = page.next;
    } while (after);
  },
});

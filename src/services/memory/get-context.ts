/** GetContext: the thread's recent memories and the most relevant others, rendered for a prompt. */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  ContextFormat,
  ContextMessageSchema,
  GetContextResponseSchema,
  type ChatRole,
  type MemoryService,
} from "../../../gen/memoric/v1/memory_pb.js";
import type { AppContext } from "../../app-context.js";
import { renderContext, type ContextItem } from "../../domain/context.js";
import { listMemories, type MemoryRecord } from "../../store/memories.js";
import type { MemoryFilterInput } from "../../store/memory-filters.js";
import { searchMemories } from "../../store/memory-search.js";
import { withReadTx } from "../audited-tx.js";
import { assertThreadAllowed, callOwner, ownerScope } from "../owners.js";
import * as v from "./validation.js";
import { pageSize } from "../../domain/validation.js";

const CONTEXT_THREAD_MEMORIES = 20;
const CONTEXT_RELEVANT_MEMORIES = 20;
/** Core memories (the profile) shown at most; pinned or CRITICAL importance makes a memory core. */
const CONTEXT_CORE_MEMORIES = 20;
const CORE_FILTER: MemoryFilterInput = { core: true };

function contextItem(m: MemoryRecord): ContextItem {
  const { id, content, role, topic, category, importance, createdAt } = m;
  return { id, content, role, topic, category, importance, createdAt };
}

export default (app: AppContext): Partial<ServiceImpl<typeof MemoryService>> => ({
  async getContext(req, ctx) {
    const format = v.contextFormat(req.format);
    const maxChars = pageSize("max_chars", req.maxChars, { default: 4000, max: 1_000_000 });
    v.query(req.query, app.config.memory);
    const threadId = v.identifier(req.threadId, "thread_id").trim();
    v.identifier(req.agentId, "agent_id");
    const minRelevance = v.minScore(req.minScore);
    const owner = await callOwner(app, ctx, req.endUserId);
    assertThreadAllowed(owner, threadId);
    const out = await withReadTx(
      app,
      ctx,
      async (tx) => {
        // Recent thread memories (newest first from the list, shown oldest first).
        const thread = threadId
          ? (
              await listMemories(app, tx, owner, { threadId, live: true }, CONTEXT_THREAD_MEMORIES, undefined)
            ).memories.reverse()
          : [];
        const find = async (query: string, filter: MemoryFilterInput, topK: number, excludeIds: string[]) => {
          const input = { query, filter, topK, excludeIds, minRelevance: query ? minRelevance : 0 };
          return (await searchMemories(app, tx, owner, input)).map((r) => r.memory);
        };
        const shown = thread.map((m) => m.id);
        const core = await find("", CORE_FILTER, CONTEXT_CORE_MEMORIES, shown);
        shown.push(...core.map((m) => m.id));
        let relevant = req.query.trim() ? await find(req.query, {}, CONTEXT_RELEVANT_MEMORIES, shown) : [];
        const fallback = relevant.length === 0;
        // Nothing matched: the most recent and important memories, never an empty context.
        if (fallback) relevant = await find("", {}, CONTEXT_RELEVANT_MEMORIES, shown);
        const parts = {
          core: core.map(contextItem),
          thread: thread.map(contextItem),
          relevant: relevant.map(contextItem),
        };
        return renderContext({ ...parts, fallback }, format, maxChars);
      },
      (o) => ({ resourceType: "memory", details: { count: o.memoryIds.length, truncated: o.truncated } }),
      ownerScope(owner),
    );
    return create(GetContextResponseSchema, {
      context: out.context,
      format: { chat: ContextFormat.CHAT, structured: ContextFormat.STRUCTURED, text: ContextFormat.TEXT }[format],
      messages: out.messages.map((m) => create(ContextMessageSchema, { role: m.role as ChatRole, content: m.content })),
      memoryIds: out.memoryIds,
      truncated: out.truncated,
    });
  },
});

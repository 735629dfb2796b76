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
import { searchMemories } from "../../store/memory-search.js";
import { withReadTx } from "../audited-tx.js";
import { assertThreadAllowed, callOwner, ownerScope } from "../owners.js";
import * as v from "./validation.js";
import { pageSize } from "../../domain/validation.js";

const CONTEXT_THREAD_MEMORIES = 20;
const CONTEXT_RELEVANT_MEMORIES = 20;

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
          ? (await listMemories(app, tx, owner, { threadId }, CONTEXT_THREAD_MEMORIES, undefined)).memories.reverse()
          : [];
        const excludeIds = thread.map((m) => m.id);
        const search = { query: req.query, filter: {}, topK: CONTEXT_RELEVANT_MEMORIES, excludeIds, minRelevance };
        const relevant = await searchMemories(app, tx, owner, search);
        const items = relevant.map((r) => contextItem(r.memory));
        return renderContext(thread.map(contextItem), items, format, maxChars);
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

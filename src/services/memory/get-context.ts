/**
 * GetContext: the end user's core memories, the thread's recent memories and the most relevant
 * others, rendered for a prompt. Query matches are ranked like SearchMemories: hybrid when vectors
 * are on (the query embedded once, before the transaction, with the short query timeout), lexical
 * otherwise or when the provider fails (degraded, with the same metric and log line).
 */
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
import { searchHybrid } from "../../store/memory-search.js";
import { withReadTx } from "../audited-tx.js";
import { assertThreadAllowed, callOwner, ownerScope } from "../owners.js";
import { queryVector, searchMode } from "./query-vector.js";
import * as v from "./validation.js";
import { pageSize } from "../../domain/validation.js";
import { overlay } from "../../domain/objects.js";

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
    const clientVector = v.queryEmbedding(req.queryEmbedding, app.config.memory);
    const owner = await callOwner(app, ctx, req.endUserId);
    assertThreadAllowed(owner, threadId);
    // Embedded before the transaction: no connection is held while the provider answers.
    const q = await queryVector(app, { query: req.query, queryVector: clientVector });
    const hasQuery = req.query.trim() !== "" || q.vector !== undefined;
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
        // Core memories and the fallback rank by recency and importance; the query matches like a search.
        const find = async (filter: MemoryFilterInput, topK: number, excludeIds: string[], match = false) => {
          const query = match ? req.query : "";
          const input = match
            ? { query, filter, topK, excludeIds, minRelevance, queryVector: q.vector }
            : { query, filter, topK, excludeIds };
          const r = await searchHybrid(app, tx, owner, input);
          return { memories: r.results.map((s) => s.memory), dense: r.dense };
        };
        const shown = thread.map((m) => m.id);
        const core = (await find(CORE_FILTER, CONTEXT_CORE_MEMORIES, shown)).memories;
        shown.push(...core.map((m) => m.id));
        const matches = hasQuery
          ? await find({}, CONTEXT_RELEVANT_MEMORIES, shown, true)
          : { memories: [], dense: false };
        // Nothing matched: the most recent and important memories, never an empty context. (A client
        // vector alone, for an owner without vectors, ranked by recency already: labelled as such.)
        const relevant = matches.memories.length
          ? matches.memories
          : (await find({}, CONTEXT_RELEVANT_MEMORIES, shown)).memories;
        const fallback = matches.memories.length === 0 || (!matches.dense && req.query.trim() === "");
        const parts = {
          core: core.map(contextItem),
          thread: thread.map(contextItem),
          relevant: relevant.map(contextItem),
        };
        return overlay(renderContext(overlay(parts, { fallback }), format, maxChars), { dense: matches.dense });
      },
      (o) => ({
        resourceType: "memory",
        details: { count: o.memoryIds.length, truncated: o.truncated, dense: o.dense },
      }),
      overlay(ownerScope(owner), { genericPlans: true }),
    );
    return create(GetContextResponseSchema, {
      context: out.context,
      format: { chat: ContextFormat.CHAT, structured: ContextFormat.STRUCTURED, text: ContextFormat.TEXT }[format],
      messages: out.messages.map((m) => create(ContextMessageSchema, { role: m.role as ChatRole, content: m.content })),
      memoryIds: out.memoryIds,
      truncated: out.truncated,
      mode: searchMode(q, out.dense, hasQuery, app),
    });
  },
});

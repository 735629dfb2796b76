/**
 * memoric.v1.MemoryService: validate -> store -> map. The owner of every memory is the
 * authenticated principal (never a request field); authorization per RPC is the interceptor's.
 * Mutations write their audit row inside their own transaction (store layer) and mark the call
 * audited; reads describe themselves in callState for the audit interceptor.
 */
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import {
  BatchCreateMemoriesResponseSchema,
  ContextFormat,
  ContextMessageSchema,
  CreateMemoryResponseSchema,
  DeleteMemoriesResponseSchema,
  DeleteMemoryResponseSchema,
  ExportMemoriesResponseSchema,
  GetContextResponseSchema,
  GetMemoryHistoryResponseSchema,
  GetMemoryResponseSchema,
  ListClustersResponseSchema,
  ListMemoriesResponseSchema,
  PolicyActionCountSchema,
  RebuildClustersResponseSchema,
  RunPoliciesResponseSchema,
  SearchMemoriesResponseSchema,
  SearchScope,
  UpdateMemoryResponseSchema,
  type ChatRole,
  type MemoryService,
  type MemoryTier,
} from "../../gen/memoric/v1/memory_pb.js";
import { renderContext, type ContextFormatName, type ContextItem } from "../domain/context.js";
import { callInfo, callState, requirePrincipal } from "../interceptors/call-context.js";
import type { AppDeps } from "../server/deps.js";
import { listClusters, rebuildClusters } from "../store/clusters.js";
import * as store from "../store/memories.js";
import { isEmptyFilter } from "../store/memory-filters.js";
import { searchMemories } from "../store/memory-search.js";
import { runPolicies } from "../store/policies.js";
import { toCluster, toMemory, toScored, toVersion } from "./memory-mapping.js";
import * as v from "./memory-validation.js";

const CONTEXT_THREAD_MEMORIES = 20;
const CONTEXT_RELEVANT_MEMORIES = 20;

function owner(ctx: HandlerContext): string {
  return requirePrincipal(ctx).userId;
}

/** Reads: what the audit interceptor records about the outcome (ids and counts only). */
function describe(ctx: HandlerContext, resourceType: string, resourceId?: string, details?: Record<string, unknown>): void {
  const s = callState(ctx);
  s.resourceType = resourceType;
  if (resourceId !== undefined) s.resourceId = resourceId;
  if (details !== undefined) s.details = details;
}

function audited(ctx: HandlerContext): void {
  callState(ctx).audited = true;
}

function formatName(f: ContextFormat): ContextFormatName {
  if (f === ContextFormat.STRUCTURED) return "structured";
  if (f === ContextFormat.CHAT) return "chat";
  if (f === ContextFormat.TEXT || f === ContextFormat.UNSPECIFIED) return "text";
  throw v.invalid("format", "unknown value");
}

function contextItem(m: store.MemoryRecord): ContextItem {
  return { id: m.id, content: m.content, role: m.role, topic: m.topic, category: m.category, importance: m.importance, createdAt: m.createdAt };
}

export function memoryService(deps: AppDeps): ServiceImpl<typeof MemoryService> {
  const s = store.storeDeps(deps);
  const cfg = deps.config.memory;
  return {
    async createMemory(req, ctx) {
      const input = v.newMemory(req, cfg);
      const { memories, replayed } = await store.createMemories(s, owner(ctx), callInfo(ctx), [input]);
      audited(ctx);
      return create(CreateMemoryResponseSchema, { memory: toMemory(memories[0]!), replayed: replayed[0]! });
    },

    async batchCreateMemories(req, ctx) {
      const inputs = v.batch(req.memories, cfg);
      const { memories } = await store.createMemories(s, owner(ctx), callInfo(ctx), inputs);
      audited(ctx);
      return create(BatchCreateMemoriesResponseSchema, { memories: memories.map(toMemory) });
    },

    async getMemory(req, ctx) {
      const id = v.memoryId(req.id);
      const m = await store.getMemory(s, owner(ctx), id);
      describe(ctx, "memory", id);
      return create(GetMemoryResponseSchema, { memory: toMemory(m) });
    },

    async listMemories(req, ctx) {
      const filter = v.filter(req.filter);
      const pageSize = v.bounded(req.pageSize, 50, 1, 500, "page_size");
      const cursor = v.decodePageToken(req.pageToken);
      const page = await store.listMemories(s, owner(ctx), filter, pageSize, cursor);
      describe(ctx, "memory", undefined, { count: page.memories.length });
      return create(ListMemoriesResponseSchema, { memories: page.memories.map(toMemory), nextPageToken: page.next ? v.encodePageToken(page.next) : "" });
    },

    async searchMemories(req, ctx) {
      const filter = v.filter(req.filter);
      const topK = v.bounded(req.topK, 10, 1, 100, "top_k");
      if (Buffer.byteLength(req.query, "utf8") > cfg.maxContentBytes) throw v.invalid("query", `at most ${cfg.maxContentBytes} bytes`);
      const threadId = v.identifier(req.threadId, "thread_id").trim();
      const topic = v.label(req.topic, "topic");
      v.identifier(req.agentId, "agent_id");
      switch (req.scope) {
        case SearchScope.THREAD:
          if (!threadId) throw v.invalid("thread_id", "required for SEARCH_SCOPE_THREAD");
          filter.threadId = threadId;
          break;
        case SearchScope.AGENT:
          if (!req.agentId) throw v.invalid("agent_id", "required for SEARCH_SCOPE_AGENT");
          filter.agentId = req.agentId;
          break;
        case SearchScope.TOPIC:
          if (!topic) throw v.invalid("topic", "required for SEARCH_SCOPE_TOPIC");
          filter.topic = topic;
          break;
        case SearchScope.USER:
        case SearchScope.UNSPECIFIED:
          break;
        default:
          throw v.invalid("scope", "unknown value");
      }
      const results = await searchMemories(s, owner(ctx), { query: req.query, filter, boostThreadId: threadId, boostTopic: topic, topK });
      describe(ctx, "memory", undefined, { count: results.length, explain: req.explain });
      return create(SearchMemoriesResponseSchema, { results: results.map((r) => toScored(r, req.explain)) });
    },

    async updateMemory(req, ctx) {
      const id = v.memoryId(req.id);
      const patch = v.patch(req, cfg);
      const m = await store.updateMemory(s, owner(ctx), callInfo(ctx), id, patch);
      audited(ctx);
      return create(UpdateMemoryResponseSchema, { memory: toMemory(m) });
    },

    async deleteMemory(req, ctx) {
      const id = v.memoryId(req.id);
      await store.deleteMemory(s, owner(ctx), callInfo(ctx), id);
      audited(ctx);
      return create(DeleteMemoryResponseSchema, {});
    },

    async deleteMemories(req, ctx) {
      const filter = v.filter(req.filter);
      if (isEmptyFilter(filter) && !req.all) throw v.invalid("filter", "empty; set all = true to delete every memory");
      const n = await store.deleteMemories(s, owner(ctx), callInfo(ctx), filter);
      audited(ctx);
      return create(DeleteMemoriesResponseSchema, { deletedCount: BigInt(n) });
    },

    async getMemoryHistory(req, ctx) {
      const id = v.memoryId(req.id);
      const versions = await store.getMemoryHistory(s, owner(ctx), id);
      describe(ctx, "memory", id, { count: versions.length });
      return create(GetMemoryHistoryResponseSchema, { versions: versions.map(toVersion) });
    },

    async getContext(req, ctx) {
      const format = formatName(req.format);
      const maxChars = v.bounded(req.maxChars, 4000, 1, 1_000_000, "max_chars");
      if (Buffer.byteLength(req.query, "utf8") > cfg.maxContentBytes) throw v.invalid("query", `at most ${cfg.maxContentBytes} bytes`);
      const threadId = v.identifier(req.threadId, "thread_id").trim();
      v.identifier(req.agentId, "agent_id");
      const userId = owner(ctx);
      // Recent thread memories (newest first from the list, shown oldest first).
      const thread = threadId ? (await store.listMemories(s, userId, { threadId }, CONTEXT_THREAD_MEMORIES, undefined)).memories.reverse() : [];
      const relevant = await searchMemories(s, userId, { query: req.query, filter: {}, topK: CONTEXT_RELEVANT_MEMORIES, excludeIds: thread.map((m) => m.id) });
      const out = renderContext(thread.map(contextItem), relevant.map((r) => contextItem(r.memory)), format, maxChars);
      describe(ctx, "memory", undefined, { count: out.memoryIds.length, truncated: out.truncated });
      return create(GetContextResponseSchema, {
        context: out.context,
        format: format === "chat" ? ContextFormat.CHAT : format === "structured" ? ContextFormat.STRUCTURED : ContextFormat.TEXT,
        messages: out.messages.map((m) => create(ContextMessageSchema, { role: m.role as ChatRole, content: m.content })),
        memoryIds: out.memoryIds,
        truncated: out.truncated,
      });
    },

    async listClusters(req, ctx) {
      const limit = v.bounded(req.limit, 50, 1, 500, "limit");
      const clusters = await listClusters(s, owner(ctx), v.label(req.topic, "topic"), limit);
      describe(ctx, "cluster", undefined, { count: clusters.length });
      return create(ListClustersResponseSchema, { clusters: clusters.map(toCluster) });
    },

    async rebuildClusters(_req, ctx) {
      const n = await rebuildClusters(s, owner(ctx), callInfo(ctx));
      audited(ctx);
      return create(RebuildClustersResponseSchema, { clusterCount: n });
    },

    async *exportMemories(req, ctx) {
      const filter = v.filter(req.filter);
      let count = 0;
      describe(ctx, "memory", undefined, { count });
      for await (const item of store.exportMemories(s, owner(ctx), filter)) {
        count++;
        callState(ctx).details = { count };
        yield create(ExportMemoriesResponseSchema, { memory: toMemory(item.memory), versions: item.versions.map(toVersion) });
      }
    },

    async runPolicies(req, ctx) {
      requirePrincipal(ctx);
      let result;
      try {
        result = await runPolicies(s, callInfo(ctx), { dryRun: req.dryRun });
      } catch (err) {
        // Another runner holding the lease (Aborted) is not a failure of the policies.
        if (err instanceof ConnectError && err.code === Code.Aborted) throw err;
        callState(ctx).eventType = "policy.failed";
        if (err instanceof ConnectError) throw err;
        deps.logger.error({ err, requestId: callInfo(ctx).requestId }, "policy run failed");
        throw new ConnectError("policy run failed", Code.Internal);
      }
      // Each user's changes were audited in their own transaction; a dry or empty run is one outcome row.
      if (!result.dryRun && result.counts.total() > 0) audited(ctx);
      else describe(ctx, "policy", undefined, { dryRun: result.dryRun, users: result.users, counts: result.counts.list() });
      return create(RunPoliciesResponseSchema, {
        dryRun: result.dryRun,
        counts: result.counts.list().map((c) => create(PolicyActionCountSchema, { action: c.action, tier: c.tier as MemoryTier, count: BigInt(c.count) })),
        duration: durationFromMs(Math.round(result.durationMs)),
      });
    },
  };
}

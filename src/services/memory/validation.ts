/**
 * Request validation for MemoryService: every problem is InvalidArgument naming the field (all of
 * a request's problems at once, as BadRequest field violations), raised before any storage work.
 * Converts proto messages into the store's plain inputs.
 */
import type { ConnectError } from "@connectrpc/connect";
import type { DescEnum, JsonObject } from "@bufbuild/protobuf";
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { Config } from "../../config.js";
import {
  ChatRoleSchema,
  ContextFormat,
  ImportanceSchema,
  MemoryTierSchema,
  SearchScope,
  type CreateMemoryRequest,
  type MemoryFilter,
  type SearchMemoriesRequest,
  type UpdateMemoryRequest,
} from "../../../gen/memoric/v1/memory_pb.js";
import type { ContextFormatName } from "../../domain/context.js";
import type { SearchInput } from "../../store/memory-search.js";
import type { MemoryFilterInput } from "../../store/memory-filters.js";
import type { ListCursor, MemoryPatch, NewMemory } from "../../store/memories.js";
import { FieldViolations, invalidField } from "../../domain/field-violations.js";
import { vectorProblem } from "../../domain/vectors.js";
import { decodePageToken, enumValue, encodePageToken, isUuid, pageSize, requireUuid } from "../../domain/validation.js";

export function invalid(field: string, why: string): ConnectError {
  return invalidField(field, why);
}

const MAX_ID_CHARS = 256;
const MAX_LABEL_CHARS = 128;
const MAX_METADATA_BYTES = 16 * 1024;
const MAX_METADATA_KEYS = 64;

/** Memory ids are UUIDs; anything else cannot name a memory (answered without a lookup). */
export function memoryId(id: string, field = "id"): string {
  if (!isUuid(id)) throw invalid(field, "not a valid memory id");
  return id.toLowerCase();
}

export function identifier(value: string, field: string): string {
  if (value.length > MAX_ID_CHARS) throw invalid(field, `at most ${MAX_ID_CHARS} characters`);
  if (/[\u0000-\u001f\u007f]/.test(value)) throw invalid(field, "control characters are not allowed");
  return value;
}

export function label(value: string, field: string): string {
  if (value.length > MAX_LABEL_CHARS) throw invalid(field, `at most ${MAX_LABEL_CHARS} characters`);
  if (/[\u0000-\u001f\u007f]/.test(value)) throw invalid(field, "control characters are not allowed");
  return value.trim();
}

/** A proto enum value, checked against its descriptor; 0 (unspecified) means "not given". */
function optionalEnum(schema: DescEnum, value: number, field: string): number {
  return enumValue(schema, field, value) ?? 0;
}

function content(value: string, cfg: Config["memory"], field = "content"): string {
  if (value.trim() === "") throw invalid(field, "must not be empty");
  const bytes = Buffer.byteLength(value, "utf8");
  if (bytes > cfg.maxContentBytes) throw invalid(field, `at most ${cfg.maxContentBytes} bytes of UTF-8 (got ${bytes})`);
  if (value.includes("\u0000")) throw invalid(field, "NUL characters are not allowed");
  return value;
}

function metadata(value: JsonObject | undefined, field: string): JsonObject {
  if (!value) return {};
  if (Object.keys(value).length > MAX_METADATA_KEYS)
    throw invalid(field, `at most ${MAX_METADATA_KEYS} top-level keys`);
  if (Buffer.byteLength(JSON.stringify(value), "utf8") > MAX_METADATA_BYTES)
    throw invalid(field, `at most ${MAX_METADATA_BYTES} bytes as JSON`);
  return value;
}

function timestamp(ts: Timestamp | undefined, field: string): Date | undefined {
  if (!ts) return undefined;
  const d = timestampDate(ts);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() < 1970 || d.getUTCFullYear() > 9999)
    throw invalid(field, "out of range");
  return d;
}

function expiresAt(ts: Timestamp | undefined, field: string): Date | null {
  const d = timestamp(ts, field);
  if (d && d.getTime() <= Date.now()) throw invalid(field, "must be in the future");
  return d ?? null;
}

function collectNewMemory(
  v: FieldViolations,
  req: CreateMemoryRequest,
  cfg: Config["memory"],
  prefix: string,
): NewMemory {
  const f = (name: string) => prefix + name;
  const key = req.idempotencyKey;
  if (key.length > MAX_ID_CHARS) v.add(f("idempotency_key"), `at most ${MAX_ID_CHARS} characters`);
  return {
    content: v.check(() => content(req.content, cfg, f("content"))),
    threadId: v.check(() => identifier(req.threadId, f("thread_id"))),
    agentId: v.check(() => identifier(req.agentId, f("agent_id"))),
    namespace: v.check(() => identifier(req.namespace, f("namespace"))),
    metadata: v.check(() => metadata(req.metadata, f("metadata"))),
    importance: v.check(() => optionalEnum(ImportanceSchema, req.importance, f("importance"))),
    topic: v.check(() => label(req.topic, f("topic"))),
    category: v.check(() => label(req.category, f("category"))),
    role: v.check(() => optionalEnum(ChatRoleSchema, req.role, f("role"))),
    expiresAt: v.check(() => expiresAt(req.expiresAt, f("expires_at"))),
    idempotencyKey: key,
    pinned: req.pinned,
    embedding: v.check(() => embedding(req.embedding, cfg, f("embedding"))),
  };
}

/** A client's vector: empty (none), or exactly the configured dimension of finite numbers. */
function embedding(values: number[], cfg: Config["memory"], field: string): Float32Array | undefined {
  if (values.length === 0) return undefined;
  const problem = vectorProblem(values, cfg.embeddings.dimensions);
  if (problem) throw invalid(field, problem);
  return Float32Array.from(values);
}

const MAX_SUPERSEDES = 100;

/** CreateMemory's supersedes and dedupe (one memory at a time: a batch refuses them). */
export function createOptions(req: CreateMemoryRequest): { supersedes: string[]; dedupe: boolean } {
  const v = new FieldViolations();
  if (req.supersedes.length > MAX_SUPERSEDES) v.add("supersedes", `at most ${MAX_SUPERSEDES} ids`);
  const supersedes = [
    ...new Set(
      req.supersedes.slice(0, MAX_SUPERSEDES).map((id, i) => v.check(() => requireUuid(`supersedes[${i}]`, id))),
    ),
  ];
  v.throwIfAny();
  return { supersedes, dedupe: req.dedupe };
}

export function newMemory(req: CreateMemoryRequest, cfg: Config["memory"], prefix = ""): NewMemory {
  const v = new FieldViolations();
  const out = collectNewMemory(v, req, cfg, prefix);
  v.throwIfAny();
  return out;
}

export function batch(reqs: CreateMemoryRequest[], cfg: Config["memory"]): NewMemory[] {
  if (reqs.length === 0) throw invalid("memories", "must not be empty");
  if (reqs.length > cfg.maxBatchSize)
    throw invalid("memories", `at most ${cfg.maxBatchSize} per batch (got ${reqs.length})`);
  const v = new FieldViolations();
  const out = reqs.map((r, i) => collectNewMemory(v, r, cfg, `memories[${i}].`));
  reqs.forEach((r, i) => {
    if (r.supersedes.length > 0) v.add(`memories[${i}].supersedes`, "only CreateMemory supersedes");
    if (r.dedupe) v.add(`memories[${i}].dedupe`, "only CreateMemory de-duplicates");
  });
  v.throwIfAny();
  return out;
}

export function filter(f: MemoryFilter | undefined, field = "filter"): MemoryFilterInput {
  if (!f) return {};
  const v = new FieldViolations();
  const after = v.check(() => timestamp(f.createdAfter, `${field}.created_after`));
  const before = v.check(() => timestamp(f.createdBefore, `${field}.created_before`));
  if (after && before && after >= before) v.add(`${field}.created_before`, "must be after created_after");
  const out: MemoryFilterInput = {
    threadId: v.check(() => identifier(f.threadId, `${field}.thread_id`)) || undefined,
    agentId: v.check(() => identifier(f.agentId, `${field}.agent_id`)) || undefined,
    namespace: v.check(() => identifier(f.namespace, `${field}.namespace`)) || undefined,
    tier: v.check(() => optionalEnum(MemoryTierSchema, f.tier, `${field}.tier`)) || undefined,
    topic: v.check(() => label(f.topic, `${field}.topic`)) || undefined,
    category: v.check(() => label(f.category, `${field}.category`)) || undefined,
    createdAfter: after,
    createdBefore: before,
    metadata:
      f.metadata && Object.keys(f.metadata).length
        ? v.check(() => metadata(f.metadata, `${field}.metadata`))
        : undefined,
    minImportance:
      v.check(() => optionalEnum(ImportanceSchema, f.minImportance, `${field}.min_importance`)) || undefined,
  };
  v.throwIfAny();
  return out;
}

/** A memory list's keyset position travels in the shared page-token format (domain/validation.ts). */
export function encodeListToken(c: ListCursor): string {
  return encodePageToken({ time: c.createdAt, id: c.id });
}

export function decodeListToken(token: string): ListCursor | undefined {
  const cursor = decodePageToken(token);
  return cursor && { createdAt: cursor.time, id: cursor.id };
}

const MASK_PATHS = [
  "content",
  "thread_id",
  "agent_id",
  "namespace",
  "metadata",
  "importance",
  "topic",
  "category",
  "expires_at",
  "pinned",
] as const;
const CAMEL: Record<string, (typeof MASK_PATHS)[number]> = {
  threadId: "thread_id",
  agentId: "agent_id",
  expiresAt: "expires_at",
};

export function patch(req: UpdateMemoryRequest, cfg: Config["memory"]): MemoryPatch {
  const paths = req.updateMask?.paths ?? [];
  if (paths.length === 0) throw invalid("update_mask", `name at least one of ${MASK_PATHS.join(", ")}`);
  const out: MemoryPatch = {};
  const v = new FieldViolations();
  for (const raw of paths) {
    const path = CAMEL[raw] ?? raw;
    switch (path) {
      case "content":
        out.content = v.check(() => content(req.content, cfg));
        break;
      case "thread_id":
        out.threadId = v.check(() => identifier(req.threadId, "thread_id"));
        break;
      case "agent_id":
        out.agentId = v.check(() => identifier(req.agentId, "agent_id"));
        break;
      case "namespace":
        out.namespace = v.check(() => identifier(req.namespace, "namespace"));
        break;
      case "metadata":
        out.metadata = v.check(() => metadata(req.metadata, "metadata"));
        break;
      case "importance":
        out.importance = v.check(() => optionalEnum(ImportanceSchema, req.importance, "importance"));
        break;
      case "topic":
        out.topic = v.check(() => label(req.topic, "topic"));
        break;
      case "category":
        out.category = v.check(() => label(req.category, "category"));
        break;
      case "expires_at":
        out.expiresAt = v.check(() => expiresAt(req.expiresAt, "expires_at"));
        break;
      case "pinned":
        out.pinned = req.pinned;
        break;
      default:
        v.add("update_mask", `unknown path "${raw.slice(0, 64)}"; allowed: ${MASK_PATHS.join(", ")}`);
    }
  }
  v.throwIfAny();
  return out;
}

/** SearchMemories: its filter with the scope's constraint added, the boosts and top_k. */
export function search(req: SearchMemoriesRequest, cfg: Config["memory"]): SearchInput {
  const f = filter(req.filter);
  const topK = pageSize("top_k", req.topK, { default: 10, max: 100 });
  query(req.query, cfg);
  const threadId = identifier(req.threadId, "thread_id").trim();
  const topic = label(req.topic, "topic");
  identifier(req.agentId, "agent_id");
  switch (req.scope) {
    case SearchScope.THREAD:
      if (!threadId) throw invalid("thread_id", "required for SEARCH_SCOPE_THREAD");
      f.threadId = threadId;
      break;
    case SearchScope.AGENT:
      if (!req.agentId) throw invalid("agent_id", "required for SEARCH_SCOPE_AGENT");
      f.agentId = req.agentId;
      break;
    case SearchScope.TOPIC:
      if (!topic) throw invalid("topic", "required for SEARCH_SCOPE_TOPIC");
      f.topic = topic;
      break;
    case SearchScope.USER:
    case SearchScope.UNSPECIFIED:
      break;
    default:
      throw invalid("scope", "unknown value");
  }
  const minRelevance = minScore(req.minScore);
  const queryVector = queryEmbedding(req.queryEmbedding, cfg);
  return { query: req.query, filter: f, boostThreadId: threadId, boostTopic: topic, topK, minRelevance, queryVector };
}

/** A client's query_embedding (SearchMemories, GetContext): empty, or a vector of the configured length. */
export function queryEmbedding(values: number[], cfg: Config["memory"]): Float32Array | undefined {
  return embedding(values, cfg, "query_embedding");
}

/** min_score: a relevance floor in [0, 1] (0 = none). */
export function minScore(value: number): number {
  if (!Number.isFinite(value) || value < 0 || value > 1) throw invalid("min_score", "between 0 and 1");
  return value;
}

/** A free-text query: bounded like content. */
export function query(value: string, cfg: Config["memory"]): string {
  const max = cfg.maxContentBytes;
  if (Buffer.byteLength(value, "utf8") > max) throw invalid("query", `at most ${max} bytes`);
  return value;
}

export function contextFormat(f: ContextFormat): ContextFormatName {
  if (f === ContextFormat.STRUCTURED) return "structured";
  if (f === ContextFormat.CHAT) return "chat";
  if (f === ContextFormat.TEXT || f === ContextFormat.UNSPECIFIED) return "text";
  throw invalid("format", "unknown value");
}

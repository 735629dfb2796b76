/**
 * What a memory's plaintext yields under its owner's blind index key: derived metadata, the blind
 * index terms and the blind values equality filters match. Pure CPU, no data key and no I/O, and
 * light to load: batches compute it on the analysis threads (analysis-pool.ts), which import only
 * this module. Sealing (the data key) stays on the main thread, in memory-write.ts.
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { blindFingerprint, blindTerm, blindTerms } from "../security/blind-index.js";
import { analyze } from "../domain/text.js";
import { deriveMetadata, normalizeLabel } from "../domain/metadata.js";
import type { MemoryDoc } from "./memory-rows.js";

export interface IndexedTerms {
  hashes: string[];
  tfs: number[];
  docLen: number;
  /** Keyed fingerprint of the term set (duplicate detection), null without terms. */
  fingerprint: Buffer | null;
}

/**
 * Indexes texts under one owner's blind index key. One indexer serves one call (a batch, a
 * policy run): it remembers each word's terms and each term's hash, which a batch repeats, and is
 * dropped with the call, so no plaintext vocabulary outlives the request that brought it.
 */
export class TermIndexer {
  private readonly wordTerms = new Map<string, string[]>();
  private readonly hashes = new Map<string, bigint>();

  constructor(readonly indexKey: Uint8Array) {}

  index(content: string): IndexedTerms {
    // A bound for pathological batches (every word distinct): forget and go on.
    if (this.wordTerms.size > MEMO_LIMIT) this.wordTerms.clear();
    if (this.hashes.size > MEMO_LIMIT) this.hashes.clear();
    const { terms, length } = analyze(content, this.wordTerms);
    const blind = blindTerms(this.indexKey, terms, this.hashes);
    return {
      hashes: blind.map((t) => t.hash.toString()),
      tfs: blind.map((t) => t.tf),
      docLen: length,
      fingerprint: blindFingerprint(this.indexKey, terms.keys()),
    };
  }
}

const MEMO_LIMIT = 100_000;

/** The blind parts of a memory's row at one version: its postings and the values filters match. */
export interface IndexedState {
  terms: IndexedTerms;
  topicHash: string | null;
  categoryHash: string | null;
  metaHashes: string[];
}

export function indexState(indexer: TermIndexer, content: string, doc: MemoryDoc): IndexedState {
  const key = indexer.indexKey;
  return {
    terms: indexer.index(content),
    topicHash: labelHash(key, "topic", doc.topic),
    categoryHash: labelHash(key, "category", doc.category),
    metaHashes: metaHashes(key, doc.metadata),
  };
}

/** What analysis reads of a new memory. */
export interface AnalysisInput {
  content: string;
  metadata: JsonObject;
  /** 0 = derive. */
  importance: number;
  /** "" = derive. */
  topic: string;
  /** "" = derive. */
  category: string;
}

export interface Analysis {
  doc: MemoryDoc;
  importance: number;
  indexed: IndexedState;
}

export function analyzeMemory(indexer: TermIndexer, input: AnalysisInput): Analysis {
  const d = deriveMetadata(input.content, {
    topic: input.topic,
    category: input.category,
    importance: input.importance,
  });
  const doc: MemoryDoc = {
    metadata: input.metadata,
    topic: d.topic,
    category: d.category,
    entities: d.entities,
    derived: d.derived,
  };
  return { doc, importance: d.importance, indexed: indexState(indexer, input.content, doc) };
}

// --- blind values for equality filters ---------------------------------------------------------
// Domain prefixes contain ':' which the text analyzer never emits, so they can't equal a term hash.

export function labelHash(indexKey: Uint8Array, kind: "topic" | "category", value: string): string | null {
  const norm = normalizeLabel(value);
  return norm === "" ? null : blindTerm(indexKey, `${kind}:${norm}`).toString();
}

/** JSON with object keys sorted at every level, so equal values have one spelling. */
function canonicalJson(v: JsonValue): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  return `{${Object.keys(v)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k]!)}`)
    .join(",")}}`;
}

function metaHash(indexKey: Uint8Array, key: string, value: JsonValue): string {
  return blindTerm(indexKey, `meta:${key}\u0000${canonicalJson(value)}`).toString();
}

export function metaHashes(indexKey: Uint8Array, metadata: JsonObject): string[] {
  return Object.entries(metadata).map(([k, v]) => metaHash(indexKey, k, v));
}

/**
 * SearchMemories in SQL (DESIGN.md §6). Candidates come from the blind index, BM25 is computed in
 * SQL from the postings (tf, denormalized doc_len, df from the same scan, N and avgdl from
 * memory_stats), combined with recency, importance and boosts, ordered and cut to top_k in SQL;
 * only those top_k rows are decrypted.
 *
 * Bounds, so no query scans a user's memories in Node or in full:
 * - With a query: postings are read by index (owner_id, term_hash) only (index-only scan) and BM25
 *   is aggregated from them. Without filters, only the CANDIDATE_CAP best by BM25 plus the
 *   CANDIDATE_CAP newest matches (UUIDv7 ids sort by creation time) are joined to memories for the
 *   final score: exact whenever at most CANDIDATE_CAP memories match the query terms; above that,
 *   a memory that is neither among the most relevant nor among the newest matches can be missed
 *   (only its importance could have lifted it). With filters or scopes every matching posting is
 *   joined, so filtered results are exact.
 * - A query's own word in more than commonWordPostings of the owner's memories ("user" in an
 *   assistant's memories) is read, in unfiltered searches, from its newest commonWordPostings
 *   postings, plus primary-key probes of every other memory the search found, whose scores stay
 *   exact; an older memory that only such words would find is not a candidate. Filtered searches
 *   read every posting. Counting its df still reads its whole range (index-only, without scoring).
 * - Query expansion is bounded (config memory.search.expansionMaxDf / expansionPostings): a WordNet
 *   relative is counted only up to expansionMaxDf and dropped at it (a word that common tells little
 *   and costs the most), and the relatives kept read at most expansionPostings postings in all, the
 *   most closely related first. The query's own words are always counted and read in full. English
 *   queries expand to ~80-130 terms; on 100k English-like memories this took the mean search from
 *   ~95 to ~40 ms of PostgreSQL time.
 * - Empty query: the score is constant within each (importance, same thread?, same topic?) class
 *   and decreasing in age, so the exact top_k is among the top_k most recent of each class: at most
 *   16 index range scans of top_k rows each.
 */
import { queryTerms } from "../domain/query-terms.js";
import { explain, IDF_PRIOR_DOCS, type Explanation, type ScoreWeights } from "../domain/scoring.js";
import { blindTerm } from "../security/blind-index.js";
import type { MemoryStoreDeps } from "./memory-deps.js";
import { loadIndex, vectorSettings, type VectorDeps, type VectorSettings } from "./memory-vectors.js";
import { topK, type DenseHit } from "../domain/vectors.js";
import { filterSql, isEmptyFilter, type MemoryFilterInput } from "./memory-filters.js";
import type { DataKey } from "../security/crypto.js";
import { memoryColumns, openRow, withDataKey, type MemoryRecord, type MemoryRow } from "./memory-rows.js";
import { labelHash } from "./memory-analysis.js";
import type { Tx } from "./tx.js";
import { threadPin, type Owner } from "./owner.js";
import { overlay } from "../domain/objects.js";

/** At least the largest top_k (100), so the best-by-BM25 half alone can fill any page. */
export const CANDIDATE_CAP = 100;
/** Dense candidates per hybrid search: the best by cosine over the owner's whole index. */
const DENSE_CAP = 200;

export interface SearchInput {
  query: string;
  /** Hard constraints: the request's filter plus what its scope implies. */
  filter: MemoryFilterInput;
  /** Boost memories of this thread / topic (not a constraint). */
  boostThreadId?: string;
  boostTopic?: string;
  topK: number;
  /** Never return these (GetContext excludes the thread memories it already shows). */
  excludeIds?: string[];
  /** Only memories whose calibrated relevance reaches this (0: no floor). */
  minRelevance?: number;
  /** The query's embedding: hybrid ranking when the owner has vectors (memory-vectors.ts). */
  queryVector?: Float32Array | undefined;
}

export interface SearchResult {
  results: ScoredRecord[];
  /** Dense similarity took part (the query had a vector and the owner vectors). */
  dense: boolean;
}

export interface ScoredRecord {
  memory: MemoryRecord;
  score: number;
  explanation: Explanation;
}

interface RankedRow extends MemoryRow {
  relevance: number;
  lexical: number;
  dense: number;
  bm25: number;
  attainable: number;
  recency: number;
  imp: number;
  tb: number;
  pb: number;
}

type Fragment = ReturnType<Tx>;

function weightsOf(deps: MemoryStoreDeps): ScoreWeights {
  return deps.config.memory.search;
}

/**
 * `postings` (memory_id, grp, score) from `qterms`; `score` is BM25's term score over `q` (the term)
 * and `t` (its posting's tf and doc_len). A term marked common (a query's own word in more memories
 * than config memory.search.commonWordPostings, unfiltered searches only) is read from its newest
 * postings only, plus primary-key probes for every other memory the search found: their scores stay
 * exact. Without common terms the probes never run.
 */
function postingsCtes(tx: Tx, owner: Owner, score: Fragment, commonPostings: number): Fragment {
  return tx`
      read as (
        -- One index range per query hash (owner_id, term_hash), however many hashes expansion adds.
        select q.term_hash, t.memory_id, q.grp, ${score} as score
        from qterms q cross join stats s
        cross join lateral (
          select l.memory_id, l.tf::float8 as tf, l.doc_len::float8 as doc_len from memory_terms l
          where l.owner_id = ${owner.ownerId} and l.term_hash = q.term_hash
          order by l.memory_id desc
          limit case when q.common then ${commonPostings}::int end
        ) t
      ),
      probed as (
        select f.memory_id, q.grp, ${score} as score
        from qterms q cross join stats s
        cross join lateral (
          select distinct r.memory_id from read r
          where not exists (select from read k where k.term_hash = q.term_hash and k.memory_id = r.memory_id)
        ) f
        cross join lateral (
          select l.tf::float8 as tf, l.doc_len::float8 as doc_len from memory_terms l
          where l.owner_id = ${owner.ownerId} and l.term_hash = q.term_hash and l.memory_id = f.memory_id
        ) t
        where q.common
      ),
      postings as (select memory_id, grp, score from read union all select memory_id, grp, score from probed)`;
}

/**
 * The sum over query words of each word's best posting score, in one aggregation. The text depends on
 * the number of words (at most 32), so each count is a prepared statement of its own (~350 KB of
 * plan cache per connection in PostgreSQL), as each shape of filter already is.
 */
function groupBests(tx: Tx, terms: { group: number }[]): Fragment {
  const bests: Fragment[] = [...new Set(terms.map((t) => t.group))].map(
    (g) => tx`coalesce(max(score) filter (where grp = ${g}::int), 0)`,
  );
  return bests.slice(1).reduce((acc, best) => tx`${acc} + ${best}`, bests[0]!);
}

export async function searchMemories(
  deps: VectorDeps,
  tx: Tx,
  owner: Owner,
  input: SearchInput,
): Promise<ScoredRecord[]> {
  return (await searchHybrid(deps, tx, owner, input)).results;
}

interface Dense {
  hits: DenseHit[];
  settings: VectorSettings;
}

/** The dense candidates: exact cosine top DENSE_CAP over the owner's index, or none. */
/** The vector settings when this search consults the owner's dense index, else undefined. */
function denseSettings(deps: VectorDeps, input: SearchInput) {
  const settings = vectorSettings(deps.config);
  return settings && input.queryVector?.length === settings.dims ? settings : undefined;
}

/**
 * Whether searchHybrid runs exactly one statement, so the read may commit right behind it
 * (InTxOptions.oneStatement): the owner's key is known and no dense index is consulted.
 */
export function searchIsOneStatement(deps: VectorDeps, input: SearchInput, known: DataKey | undefined): boolean {
  return known !== undefined && denseSettings(deps, input) === undefined;
}

async function denseHits(deps: VectorDeps, tx: Tx, owner: Owner, input: SearchInput): Promise<Dense | undefined> {
  const settings = denseSettings(deps, input);
  if (!settings || !input.queryVector) return undefined;
  const index = await loadIndex(deps, tx, owner, settings);
  if (!index || index.ids.length === 0) return undefined;
  return { hits: topK(index, input.queryVector, DENSE_CAP + (input.excludeIds?.length ?? 0)), settings };
}

/** `known`: the owner's key as the caller took it from the cache (see searchIsOneStatement). */
export async function searchHybrid(
  deps: VectorDeps,
  tx: Tx,
  owner: Owner,
  input: SearchInput,
  known?: DataKey,
): Promise<SearchResult> {
  const w = weightsOf(deps);
  const key = known ?? (await deps.keys.load(tx, owner.ownerId));
  if (!key) return { results: [], dense: false }; // never wrote: nothing to find
  const dense = await denseHits(deps, tx, owner, input);
  const hits = dense?.hits;
  const alpha = hits ? deps.config.memory.search.denseWeight : 0;
  const indexKey = key.blindIndexKey();
  // Weighted, grouped terms (domain/query-terms.ts): hashed here, so SQL sees only HMACs.
  const terms = queryTerms(input.query);
  const hashes = terms.map((t) => blindTerm(indexKey, t.term).toString());
  const groupCount = new Set(terms.map((t) => t.group)).size;
  const minRelevance = input.minRelevance ?? 0;
  const threadId = input.boostThreadId || null;
  const topicHash = input.boostTopic ? labelHash(indexKey, "topic", input.boostTopic) : null;
  const exclude = input.excludeIds?.length ? tx`and m.id <> all(${input.excludeIds}::uuid[])` : tx``;
  // Superseded memories never come back from search (nor, through it, from GetContext).
  const live = overlay(input.filter, { live: true });
  const where = tx`${threadPin(tx, owner)} ${filterSql(tx, indexKey, live)} ${exclude}`;
  const unfiltered = isEmptyFilter(input.filter);

  const parts = tx`
    exp(greatest(
      -ln(2) * greatest(extract(epoch from (now() - m.updated_at))::float8, 0) / 3600.0
        / ${w.recencyHalfLifeHours}::float8,
      -700)) as recency,
    ((m.importance - 1) / 3.0)::float8 as imp,
    case when m.thread_id = ${threadId} then ${w.threadBoost}::float8 else 0 end as tb,
    case when m.topic_hash = ${topicHash}::bigint then ${w.topicBoost}::float8 else 0 end as pb`;
  const score = tx`(${w.relevanceWeight}::float8 * relevance + ${w.recencyWeight}::float8 * recency
                    + ${w.importanceWeight}::float8 * imp + tb + pb)`;

  let candidates: Fragment;
  if (hashes.length > 0 || hits) {
    const { bm25K1: k1, bm25B: b, expansionMaxDf: maxDf, expansionPostings: budget } = deps.config.memory.search;
    const commonDf = deps.config.memory.search.commonWordPostings;
    const cap = CANDIDATE_CAP + (input.excludeIds?.length ?? 0);
    // Unfiltered: the best by BM25 and the newest matches (UUIDv7 ids are creation-ordered).
    const lexicalPick = unfiltered
      ? tx`(select memory_id, bm25 from bm order by bm25 desc, memory_id desc limit ${cap})
           union (select memory_id, bm25 from bm order by memory_id desc limit ${cap})`
      : tx`select memory_id, bm25 from bm`;
    // Hybrid: the dense candidates join the lexical ones (with their BM25 when they have one).
    const pick = hits
      ? tx`select memory_id, max(bm25) as bm25 from (
             ${lexicalPick} union all select memory_id, 0::float8 from dense
           ) u group by memory_id`
      : lexicalPick;
    const denseCte = hits
      ? tx`dense as (select * from unnest(${hits.map((h) => h.id)}::uuid[], ${hits.map((h) => h.similarity)}::float8[])
                     as d(memory_id, sim)),`
      : tx``;
    const denseSim = hits ? tx`greatest(least(coalesce(d.sim, 0), 1), 0)` : tx`0::float8`;
    const denseJoin = hits ? tx`left join dense d on d.memory_id = c.memory_id` : tx``;
    // A memory without a ready vector (pending, failed, other model) is ranked by its lexical relevance
    // alone: not being embedded yet is no evidence of dissimilarity. One primary-key probe per lexical
    // candidate outside the dense hits (those have a vector by construction).
    const vectored = dense
      ? tx`case when d.sim is not null then true else exists (
             select 1 from memory_vectors v
             where v.owner_id = ${owner.ownerId} and v.memory_id = c.memory_id and v.state = 'ready'
               and v.model = ${dense.settings.model} and v.dims = ${dense.settings.dims}) end`
      : tx`false`;
    const lexical = tx`least(coalesce(s.bm25 / nullif(a.a, 0), 0), 1)`;
    const fused = tx`(case when s.vectored then (1 - ${alpha}::float8) * ${lexical} + ${alpha}::float8 * s.dense
                      else ${lexical} end)`;
    // BM25 per memory is the sum over query words of the word's best term. A memory has one posting
    // per term, so with one term per word that is the plain sum; otherwise one filtered max per word,
    // still one aggregation (a per-word aggregation before it cost an English search ~10% more).
    const singletons = groupCount === terms.length;
    const bmCte = singletons
      ? tx`bm as (select memory_id, sum(score) as bm25 from postings group by memory_id)`
      : tx`bm as (select memory_id, ${groupBests(tx, terms)} as bm25 from postings group by memory_id)`;
    // N and avgdl come from the counters the write path keeps, in the same statement (no extra round trip).
    candidates = tx`
      ${denseCte}
      stats as (
        select greatest(coalesce(sum(doc_count), 0), 1)::float8 as n,
               greatest(coalesce(sum(total_len), 0)::float8 / greatest(coalesce(sum(doc_count), 0), 1), 1) as avgdl
        from memory_stats where owner_id = ${owner.ownerId}
      ),
      counted as (
        -- The query's terms are distinct (domain/query-terms.ts), so df is one count per term: an
        -- index-only count, instead of a sort and a window over every posting of every term. An
        -- expansion term's count stops at the cap: past it, the term is not used.
        select q.term_hash, q.grp, q.weight, df.n,
               sum(case when q.weight < 1 and df.n < ${maxDf}::int then df.n else 0 end)
                 over (order by q.weight desc, df.n, q.term_hash rows unbounded preceding) as spent
        from unnest(${hashes}::bigint[], ${terms.map((t) => t.group)}::int[],
                    ${terms.map((t) => t.weight)}::float8[]) as q(term_hash, grp, weight)
        cross join lateral (
          select count(*) as n from (
            select from memory_terms l where l.owner_id = ${owner.ownerId} and l.term_hash = q.term_hash
            limit case when q.weight < 1 then ${maxDf}::int end
          ) c
        ) df
      ),
      qterms as (
        select c.term_hash, c.grp,
               c.weight * ln(1 + (s.n + ${IDF_PRIOR_DOCS}::float8 - c.n::float8 + 0.5) / (c.n::float8 + 0.5)) as idf,
               c.weight >= 1 and c.n > ${unfiltered ? commonDf : null}::int as common
        from counted c cross join stats s
        where c.weight >= 1 or (c.n < ${maxDf}::int and c.spent <= ${budget}::int)
      ),
      ${postingsCtes(
        tx,
        owner,
        tx`q.idf * least((t.tf * (${k1}::float8 + 1))
            / (t.tf + ${k1}::float8 * (1 - ${b}::float8 + ${b}::float8 * t.doc_len / s.avgdl)), 1)`,
        commonDf,
      )},
      ${bmCte},
      attainable as (
        select ${groupCount}::float8 * ln(1 + (s.n + ${IDF_PRIOR_DOCS}::float8 + 0.5) / 0.5) as a from stats s
      ),
      candidates as (${pick}),
      scored as (
        select m.id, m.updated_at, c.bm25, ${denseSim} as dense, ${vectored} as vectored, ${parts}
        from candidates c join memories m on m.id = c.memory_id ${denseJoin}
        where m.owner_id = ${owner.ownerId} ${where}
      ),
      normalized as (
        select s.*, a.a as attainable, ${lexical}::float8 as lexical, ${fused}::float8 as relevance
        from scored s cross join attainable a
        where ${fused} >= ${minRelevance}::float8
      )`;
  } else if (minRelevance > 0) {
    return { results: [], dense: false }; // no query words: nothing is relevant
  } else {
    const classes: Fragment[] = [];
    const threadClasses = threadId ? [tx`and m.thread_id = ${threadId}`, tx`and m.thread_id <> ${threadId}`] : [tx``];
    const topicClasses = topicHash
      ? [tx`and m.topic_hash = ${topicHash}::bigint`, tx`and m.topic_hash is distinct from ${topicHash}::bigint`]
      : [tx``];
    for (const importance of [1, 2, 3, 4])
      for (const th of threadClasses)
        for (const tp of topicClasses)
          classes.push(tx`(select m.id from memories m
                           where m.owner_id = ${owner.ownerId} and m.importance = ${importance} ${th} ${tp} ${where}
                           order by m.updated_at desc limit ${input.topK})`);
    const union = classes.slice(1).reduce((acc, c) => tx`${acc} union all ${c}`, classes[0]!);
    candidates = tx`
      ids as (select id from (${union}) u),
      normalized as (
        select m.id, m.updated_at, 0::float8 as relevance, 0::float8 as lexical, 0::float8 as dense,
               0::float8 as bm25, 0::float8 as attainable, ${parts}
        from ids join memories m on m.id = ids.id where m.owner_id = ${owner.ownerId}
      )`;
  }
  const rows = await tx<RankedRow[]>`
    with ${candidates},
    ranked as (select *, ${score} as score from normalized
               order by score desc, updated_at desc, id desc limit ${input.topK})
    select ${memoryColumns(tx)}, r.relevance, r.lexical, r.dense, r.bm25, r.attainable, r.recency, r.imp, r.tb, r.pb
    from ranked r join memories m on m.owner_id = ${owner.ownerId} and m.id = r.id
    order by r.score desc, r.updated_at desc, r.id desc`;
  const memories = await withDataKey(
    tx,
    deps.keys,
    deps.logger,
    owner.ownerId,
    "memory",
    (k) => Promise.all(rows.map((r) => openRow(k, r))),
    key,
  );
  const results = rows.map((r, i) => {
    const explanation = explain(
      {
        relevance: r.relevance,
        lexical: r.lexical,
        dense: r.dense,
        bm25: r.bm25,
        bm25Attainable: r.attainable,
        recency: r.recency,
        importance: r.imp,
        threadBoost: r.tb,
        topicBoost: r.pb,
      },
      w,
    );
    return { memory: memories[i]!, score: explanation.score, explanation };
  });
  return { results, dense: hits !== undefined };
}

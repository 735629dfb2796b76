/** Search with each result's score drawn as a stacked bar: relevance, recency, importance, boosts. */
import { type ScoreExplanation, type ScoredMemory, SearchScope } from "@memoric/client";
import { useState } from "preact/hooks";
import type { Session } from "../api.js";
import { enumOptions, ErrorNote, Field, Select, Status, useAction } from "../ui.js";
import { memoryHref } from "./memories.js";

const PARTS = [
  { key: "relevance", label: "Relevance", cls: "sw-rel", colour: "#0072b2" },
  { key: "recency", label: "Recency", cls: "sw-rec", colour: "#e69f00" },
  { key: "importance", label: "Importance", cls: "sw-imp", colour: "#009e73" },
  { key: "boosts", label: "Boosts (thread, topic)", cls: "sw-boost", colour: "#cc79a7" },
] as const;

function parts(e: ScoreExplanation | undefined): number[] {
  if (!e) return [0, 0, 0, 0];
  return [e.weightedRelevance, e.weightedRecency, e.weightedImportance, e.threadBoost + e.topicBoost];
}

/** One result's score parts, as segments of a bar scaled to the best score of the page. */
function ExplainBar({ result, max }: { result: ScoredMemory; max: number }) {
  const values = parts(result.explanation);
  const width = 400;
  let x = 0;
  const summary = PARTS.map((p, i) => `${p.label} ${values[i]!.toFixed(3)}`).join(", ");
  return (
    <svg
      class="explain"
      viewBox={`0 0 ${width} 20`}
      preserveAspectRatio="none"
      role="img"
      aria-label={`Score ${result.score.toFixed(3)}: ${summary}`}
    >
      {PARTS.map((p, i) => {
        const w = max > 0 ? (Math.max(0, values[i]!) / max) * width : 0;
        const rect = (
          <rect key={p.key} x={x} y={0} width={w} height={20} fill={p.colour} stroke="#fff" strokeWidth={1}>
            <title>{`${p.label}: ${values[i]!.toFixed(3)}`}</title>
          </rect>
        );
        x += w;
        return rect;
      })}
    </svg>
  );
}

function ExplainLegend() {
  return (
    <ul class="legend" aria-label="Score parts">
      {PARTS.map((p) => (
        <li key={p.key}>
          <span class={`swatch ${p.cls}`} aria-hidden="true" />
          {p.label}
        </li>
      ))}
    </ul>
  );
}

export function SearchView({ session }: { session: Session }) {
  const [endUserId, setEndUserId] = useState("");
  const [query, setQuery] = useState("");
  const [scope, setScope] = useState("0");
  const [threadId, setThreadId] = useState("");
  const [agentId, setAgentId] = useState("");
  const [topic, setTopic] = useState("");
  const [topK, setTopK] = useState("10");
  const [minScore, setMinScore] = useState("0");
  const [results, setResults] = useState<ScoredMemory[] | undefined>(undefined);
  const action = useAction();
  const max = Math.max(0, ...(results ?? []).map((r) => parts(r.explanation).reduce((a, b) => a + Math.max(0, b), 0)));
  return (
    <section aria-labelledby="search-title">
      <h1 id="search-title">Search</h1>
      <form
        id="search-form"
        class="panel"
        aria-label="Search memories"
        onSubmit={(e) => {
          e.preventDefault();
          void action.run(async () => {
            const res = await session.client.memories.searchMemories({
              query,
              scope: Number(scope),
              threadId,
              agentId,
              topic,
              topK: Number(topK) || 10,
              minScore: Number(minScore) || 0,
              explain: true,
              endUserId: endUserId.trim(),
            });
            setResults(res.results);
          });
        }}
      >
        <Field id="search-query" label="Query" value={query} onValue={setQuery} />
        <Select
          id="search-scope"
          label="Scope"
          value={scope}
          onValue={setScope}
          options={enumOptions(SearchScope, "", "user (default)")}
        />
        <Field id="search-thread" label="Thread (scope or boost)" value={threadId} onValue={setThreadId} />
        <Field id="search-agent" label="Agent (agent scope)" value={agentId} onValue={setAgentId} />
        <Field id="search-topic" label="Topic (scope or boost)" value={topic} onValue={setTopic} />
        <Field id="search-topk" label="Results (1-100)" type="number" value={topK} onValue={setTopK} />
        <Field id="search-min" label="Minimum relevance (0-1)" type="number" value={minScore} onValue={setMinScore} />
        <Field
          id="search-end-user"
          label="End user (empty: the account's own)"
          value={endUserId}
          onValue={setEndUserId}
        />
        <button type="submit" id="search-submit" disabled={action.busy}>
          Search
        </button>
      </form>
      <ErrorNote error={action.error} />
      {results && (
        <>
          <Status>{results.length} results</Status>
          <ExplainLegend />
          <ol id="search-results" class="results">
            {results.map((r) => (
              <li key={r.memory?.id}>
                <div>
                  <strong>{r.score.toFixed(3)}</strong>{" "}
                  {r.memory && <a href={memoryHref(r.memory)}>{r.memory.content}</a>}
                </div>
                <ExplainBar result={r} max={max} />
                {r.explanation && (
                  <p class="hint">
                    relevance {r.explanation.relevance.toFixed(2)} (BM25 {r.explanation.bm25.toFixed(2)} of{" "}
                    {r.explanation.bm25Attainable.toFixed(2)} attainable), recency {r.explanation.recency.toFixed(2)},
                    importance {r.explanation.importance.toFixed(2)}
                  </p>
                )}
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}

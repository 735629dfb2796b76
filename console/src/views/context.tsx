/** GetContext preview against its character budget, and the export download (JSON lines). */
import { toJsonString } from "@bufbuild/protobuf";
import { ContextFormat, ExportMemoriesResponseSchema, type GetContextResponse } from "@memoric/client";
import { useState } from "preact/hooks";
import type { Session } from "../api.js";
import { Check, download, enumOptions, ErrorNote, Field, Select, Status, useAction } from "../ui.js";

function ContextPreview({ session, endUserId }: { session: Session; endUserId: string }) {
  const [query, setQuery] = useState("");
  const [threadId, setThreadId] = useState("");
  const [agentId, setAgentId] = useState("");
  const [format, setFormat] = useState("0");
  const [maxChars, setMaxChars] = useState("4000");
  const [minScore, setMinScore] = useState("0");
  const [result, setResult] = useState<{ res: GetContextResponse; budget: number } | undefined>(undefined);
  const action = useAction();
  return (
    <>
      <form
        id="context-form"
        class="panel"
        aria-label="Context preview"
        onSubmit={(e) => {
          e.preventDefault();
          void action.run(async () => {
            const budget = Number(maxChars) || 4000;
            const res = await session.client.memories.getContext({
              query,
              threadId,
              agentId,
              format: Number(format),
              maxChars: budget,
              minScore: Number(minScore) || 0,
              endUserId,
            });
            setResult({ res, budget });
          });
        }}
      >
        <Field id="ctx-query" label="Query" value={query} onValue={setQuery} />
        <Field id="ctx-thread" label="Thread" value={threadId} onValue={setThreadId} />
        <Field id="ctx-agent" label="Agent" value={agentId} onValue={setAgentId} />
        <Select
          id="ctx-format"
          label="Format"
          value={format}
          onValue={setFormat}
          options={enumOptions(ContextFormat, "", "text (default)")}
        />
        <Field id="ctx-max" label="Character budget" type="number" value={maxChars} onValue={setMaxChars} />
        <Field id="ctx-min" label="Minimum relevance (0-1)" type="number" value={minScore} onValue={setMinScore} />
        <button type="submit" id="ctx-submit" disabled={action.busy}>
          Preview context
        </button>
      </form>
      <ErrorNote error={action.error} />
      {result && (
        <>
          <label for="ctx-meter">
            {result.res.context.length} of {result.budget} characters
            {result.res.truncated ? " — the budget cut some memories" : ""}, {result.res.memoryIds.length} memories
          </label>
          <meter id="ctx-meter" class="meter" min={0} max={result.budget} value={result.res.context.length} />
          <pre id="ctx-output" class="context">
            {result.res.context}
          </pre>
        </>
      )}
    </>
  );
}

function Export({ session, endUserId }: { session: Session; endUserId: string }) {
  const [all, setAll] = useState(false);
  const [note, setNote] = useState("");
  const action = useAction();
  return (
    <div class="panel">
      {!endUserId && (
        <Check id="export-all" label="Include every end user's memories" checked={all} onChecked={setAll} />
      )}
      <button
        type="button"
        id="export-download"
        disabled={action.busy}
        onClick={() =>
          void action.run(async () => {
            const lines: string[] = [];
            for await (const item of session.client.memories.exportAll({ endUserId, allEndUsers: all && !endUserId })) {
              lines.push(toJsonString(ExportMemoriesResponseSchema, item));
            }
            const stamp = new Date().toISOString().replace(/[:.]/g, "-");
            download(
              `memoric-export-${stamp}.jsonl`,
              lines.length ? `${lines.join("\n")}\n` : "",
              "application/x-ndjson",
            );
            setNote(`Exported ${lines.length} memories with their history.`);
          })
        }
      >
        Download export (JSON lines)
      </button>
      <ErrorNote error={action.error} />
      {note && <Status>{note}</Status>}
    </div>
  );
}

export function ContextView({ session }: { session: Session }) {
  const [endUserId, setEndUserId] = useState("");
  return (
    <section aria-labelledby="context-title">
      <h1 id="context-title">Context preview</h1>
      <p class="hint">What GetContext would hand the next LLM call, within its character budget.</p>
      <div class="panel">
        <Field
          id="ctx-end-user"
          label="End user (empty: the account's own memories)"
          value={endUserId}
          onValue={setEndUserId}
        />
      </div>
      <ContextPreview session={session} endUserId={endUserId.trim()} />
      <h2>Export</h2>
      <Export session={session} endUserId={endUserId.trim()} />
    </section>
  );
}

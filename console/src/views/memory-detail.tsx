/** One memory: its fields, an edit form, delete, and its version history as word diffs. */
import { Importance, type Memory, MemoryTier, type MemoryVersion } from "@memoric/client";
import { useState } from "preact/hooks";
import { can, type Session } from "../api.js";
import { diffWords } from "../diff.js";
import {
  Check,
  Confirm,
  enumName,
  ErrorNote,
  Field,
  fmtTime,
  Select,
  Status,
  TextArea,
  useAction,
  useLoad,
} from "../ui.js";
import { IMPORTANCE_OPTIONS } from "./memories.js";

const EDITABLE = ["content", "threadId", "agentId", "namespace", "topic", "category"] as const;
type Editable = (typeof EDITABLE)[number];
const MASK_NAMES: Record<Editable | "importance" | "pinned", string> = {
  content: "content",
  threadId: "thread_id",
  agentId: "agent_id",
  namespace: "namespace",
  topic: "topic",
  category: "category",
  importance: "importance",
  pinned: "pinned",
};
const LABELS: Record<Editable, string> = {
  content: "Content",
  threadId: "Thread",
  agentId: "Agent",
  namespace: "Namespace",
  topic: "Topic",
  category: "Category",
};

function EditMemory({ session, memory, onSaved }: { session: Session; memory: Memory; onSaved: (m: Memory) => void }) {
  const [draft, setDraft] = useState(
    () =>
      ({
        ...Object.fromEntries(EDITABLE.map((k) => [k, memory[k]])),
        importance: String(memory.importance),
        pinned: memory.pinned,
      }) as Record<Editable | "importance", string> & { pinned: boolean },
  );
  const action = useAction();
  const changed = [
    ...EDITABLE.filter((k) => draft[k] !== memory[k]),
    ...(draft.importance !== String(memory.importance) ? (["importance"] as const) : []),
    ...(draft.pinned !== memory.pinned ? (["pinned"] as const) : []),
  ];
  return (
    <form
      id="edit-memory"
      class="panel"
      aria-label="Edit memory"
      onSubmit={(e) => {
        e.preventDefault();
        void action.run(async () => {
          const res = await session.client.memories.updateMemory({
            id: memory.id,
            endUserId: memory.endUserId,
            updateMask: { paths: changed.map((k) => MASK_NAMES[k]) },
            ...Object.fromEntries(EDITABLE.map((k) => [k, draft[k]])),
            importance: Number(draft.importance),
            pinned: draft.pinned,
          });
          onSaved(res.memory!);
        });
      }}
    >
      {EDITABLE.map((k) =>
        k === "content" ? (
          <TextArea
            key={k}
            id="edit-content"
            label={LABELS[k]}
            value={draft[k]}
            onValue={(v) => setDraft({ ...draft, [k]: v })}
          />
        ) : (
          <Field
            key={k}
            id={`edit-${k}`}
            label={LABELS[k]}
            value={draft[k]}
            onValue={(v) => setDraft({ ...draft, [k]: v })}
          />
        ),
      )}
      <Select
        id="edit-importance"
        label="Importance"
        value={draft.importance}
        onValue={(v) => setDraft({ ...draft, importance: v })}
        options={IMPORTANCE_OPTIONS.filter(([v]) => v !== "0")}
      />
      <Check
        id="edit-pinned"
        label="Pinned"
        checked={draft.pinned}
        onChecked={(v) => setDraft({ ...draft, pinned: v })}
      />
      <button type="submit" id="edit-memory-submit" disabled={action.busy || changed.length === 0}>
        Save changes
      </button>
      <ErrorNote error={action.error} />
    </form>
  );
}

function Diff({ before, after }: { before: string; after: string }) {
  return (
    <div class="diff">
      {diffWords(before, after).map((p, i) =>
        p.kind === "same" ? (
          <span key={i}>{p.text}</span>
        ) : p.kind === "added" ? (
          <ins key={i}>
            <span class="sr">added: </span>
            {p.text}
          </ins>
        ) : (
          <del key={i}>
            <span class="sr">removed: </span>
            {p.text}
          </del>
        ),
      )}
    </div>
  );
}

function History({ versions }: { versions: readonly MemoryVersion[] }) {
  return (
    <ol id="memory-history" class="results" aria-label="Version history, oldest first">
      {versions.map((v, i) => {
        const prev = versions[i - 1];
        return (
          <li key={v.version}>
            <h3>
              Version {v.version} · {fmtTime(v.createdAt)}
              {v.reason && <span class="tag">{v.reason === "current" ? "current" : `superseded by ${v.reason}`}</span>}
            </h3>
            {prev ? <Diff before={prev.content} after={v.content} /> : <div class="diff">{v.content}</div>}
          </li>
        );
      })}
    </ol>
  );
}

export function MemoryDetail({ session, id, endUserId = "" }: { session: Session; id: string; endUserId?: string }) {
  const [edited, setEdited] = useState(0);
  const memory = useLoad(() => session.client.memories.getMemory({ id, endUserId }), [id, endUserId, edited]);
  const history = useLoad(() => session.client.memories.getMemoryHistory({ id, endUserId }), [id, endUserId, edited]);
  const del = useAction();
  const m = memory.data?.memory;
  const back = endUserId ? `#/end-users/${encodeURIComponent(endUserId)}` : "#/memories";
  return (
    <section aria-labelledby="memory-title">
      <p>
        <a href={back}>← Back to the list</a>
      </p>
      <h1 id="memory-title">Memory {id}</h1>
      <ErrorNote error={memory.error} />
      {m && (
        <>
          <dl class="stats">
            <div>
              <dt>Tier</dt>
              <dd>{enumName(MemoryTier, m.tier, "")}</dd>
            </div>
            <div>
              <dt>Importance</dt>
              <dd>{enumName(Importance, m.importance, "")}</dd>
            </div>
            <div>
              <dt>Version</dt>
              <dd>{m.version}</dd>
            </div>
            <div>
              <dt>Created</dt>
              <dd class="small">{fmtTime(m.createdAt)}</dd>
            </div>
          </dl>
          <p>
            Topic <strong>{m.topic || "—"}</strong>, category <strong>{m.category || "—"}</strong>
            {m.entities.length > 0 && <>, entities: {m.entities.join(", ")}</>}
            {m.supersededBy && (
              <>
                , superseded by <a href={`#/memories/${m.supersededBy}`}>{m.supersededBy}</a>
              </>
            )}
          </p>
          {can(session, "memories:write") && (
            <EditMemory key={m.version} session={session} memory={m} onSaved={() => setEdited((n) => n + 1)} />
          )}
          {can(session, "memories:delete") && (
            <Confirm
              label="Delete memory"
              busy={del.busy}
              what={`This deletes memory ${m.id} and its ${m.version - 1} earlier versions.`}
              onConfirm={() =>
                void del.run(async () => {
                  await session.client.memories.deleteMemory({ id: m.id, endUserId });
                  window.location.hash = back;
                })
              }
            />
          )}
          <ErrorNote error={del.error} />
        </>
      )}
      <h2>History</h2>
      <ErrorNote error={history.error} />
      {history.data && <History versions={history.data.versions} />}
      {history.loading && <Status>Loading…</Status>}
    </section>
  );
}

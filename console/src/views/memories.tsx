/** The memories list with its filters and cursor paging, and the create form. */
import { Importance, type Memory, MemoryTier } from "@memoric/client";
import { useState } from "preact/hooks";
import { can, type Session } from "../api.js";
import {
  Check,
  enumName,
  enumOptions,
  ErrorNote,
  Field,
  fmtTime,
  Select,
  Status,
  TableWrap,
  TextArea,
  useAction,
  useLoad,
  usePages,
  Pager,
} from "../ui.js";

export const IMPORTANCE_OPTIONS = enumOptions(Importance, "", "any");
const TIER_OPTIONS = enumOptions(MemoryTier, "", "any");

export function memoryHref(m: Memory): string {
  const base = `#/memories/${encodeURIComponent(m.id)}`;
  return m.endUserId ? `${base}/${encodeURIComponent(m.endUserId)}` : base;
}

interface Filter {
  threadId: string;
  agentId: string;
  namespace: string;
  topic: string;
  tier: string;
  minImportance: string;
}

const EMPTY: Filter = { threadId: "", agentId: "", namespace: "", topic: "", tier: "0", minImportance: "0" };

function CreateMemory({
  session,
  endUserId,
  onCreated,
}: {
  session: Session;
  endUserId: string;
  onCreated: () => void;
}) {
  const [content, setContent] = useState("");
  const [threadId, setThreadId] = useState("");
  const [agentId, setAgentId] = useState("");
  const [namespace, setNamespace] = useState("");
  const [importance, setImportance] = useState("0");
  const [pinned, setPinned] = useState(false);
  const [note, setNote] = useState("");
  const action = useAction();
  return (
    <form
      id="create-memory"
      class="panel"
      aria-label="New memory"
      onSubmit={(e) => {
        e.preventDefault();
        void action.run(async () => {
          const res = await session.client.memories.createMemory({
            content,
            threadId,
            agentId,
            namespace,
            importance: Number(importance),
            pinned,
            endUserId,
          });
          setContent("");
          setNote(res.duplicateOf ? `Created; a near-duplicate of ${res.duplicateOf} exists.` : "Created.");
          onCreated();
        });
      }}
    >
      <TextArea id="new-content" label="Content" value={content} onValue={setContent} rows={3} />
      <Field id="new-thread" label="Thread" value={threadId} onValue={setThreadId} />
      <Field id="new-agent" label="Agent" value={agentId} onValue={setAgentId} />
      <Field id="new-namespace" label="Namespace" value={namespace} onValue={setNamespace} />
      <Select
        id="new-importance"
        label="Importance"
        value={importance}
        onValue={setImportance}
        options={IMPORTANCE_OPTIONS.map(([v, t]) => [v, v === "0" ? "derive from content" : t] as const)}
      />
      <Check id="new-pinned" label="Pinned (core memory)" checked={pinned} onChecked={setPinned} />
      <button type="submit" id="create-memory-submit" disabled={action.busy || content.trim() === ""}>
        Create memory
      </button>
      <ErrorNote error={action.error} />
      {note && <Status>{note}</Status>}
    </form>
  );
}

function MemoryTable({ memories, label }: { memories: readonly Memory[]; label: string }) {
  return (
    <TableWrap label={label}>
      <table>
        <thead>
          <tr>
            <th scope="col">Content</th>
            <th scope="col">Thread</th>
            <th scope="col">Agent</th>
            <th scope="col">Namespace</th>
            <th scope="col">Tier</th>
            <th scope="col">Importance</th>
            <th scope="col">Version</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {memories.map((m) => (
            <tr key={m.id}>
              <td class="content">
                <a href={memoryHref(m)}>{m.content.length > 160 ? `${m.content.slice(0, 160)}…` : m.content}</a>
                {m.pinned && <span class="tag">pinned</span>}
                {m.supersededBy && <span class="tag">superseded</span>}
              </td>
              <td>{m.threadId}</td>
              <td>{m.agentId}</td>
              <td>{m.namespace}</td>
              <td>{enumName(MemoryTier, m.tier, "")}</td>
              <td>{enumName(Importance, m.importance, "")}</td>
              <td>{m.version}</td>
              <td>{fmtTime(m.updatedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

export function MemoriesView({ session, endUserId = "" }: { session: Session; endUserId?: string }) {
  const [draft, setDraft] = useState<Filter>(EMPTY);
  const [filter, setFilter] = useState<Filter>(EMPTY);
  const pages = usePages();
  const token = pages.token;
  const list = useLoad(
    () =>
      session.client.memories.listMemories({
        endUserId,
        pageSize: 50,
        pageToken: token,
        filter: {
          threadId: filter.threadId,
          agentId: filter.agentId,
          namespace: filter.namespace,
          topic: filter.topic,
          tier: Number(filter.tier),
          minImportance: Number(filter.minImportance),
        },
      }),
    [filter, token, endUserId],
  );
  const set = (k: keyof Filter) => (v: string) => setDraft({ ...draft, [k]: v });
  return (
    <section aria-labelledby="memories-title">
      <h1 id="memories-title">{endUserId ? `Memories of end user ${endUserId}` : "Memories"}</h1>
      {can(session, "memories:write") && (
        <CreateMemory session={session} endUserId={endUserId} onCreated={list.reload} />
      )}
      <form
        id="memory-filters"
        class="panel"
        aria-label="Filter memories"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter(draft);
          pages.reset();
        }}
      >
        <Field id="f-thread" label="Thread" value={draft.threadId} onValue={set("threadId")} />
        <Field id="f-agent" label="Agent" value={draft.agentId} onValue={set("agentId")} />
        <Field id="f-namespace" label="Namespace" value={draft.namespace} onValue={set("namespace")} />
        <Field id="f-topic" label="Topic" value={draft.topic} onValue={set("topic")} />
        <Select id="f-tier" label="Tier" value={draft.tier} onValue={set("tier")} options={TIER_OPTIONS} />
        <Select
          id="f-importance"
          label="At least importance"
          value={draft.minImportance}
          onValue={set("minImportance")}
          options={IMPORTANCE_OPTIONS}
        />
        <button type="submit">Apply filters</button>
      </form>
      <ErrorNote error={list.error} />
      {list.loading && <Status>Loading…</Status>}
      {list.data && (
        <>
          <Status>
            Page {pages.number}: {list.data.memories.length} memories
          </Status>
          <MemoryTable memories={list.data.memories} label="Memories" />
          <Pager pages={pages} next={list.data.nextPageToken} />
        </>
      )}
    </section>
  );
}

/** Admin: the audit log with every QueryAuditLogs filter, cursor paging, a live tail and security rows marked. */
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type AuditLog, type QueryAuditLogsRequest, Severity } from "@memoric/client";
import { useEffect, useState } from "preact/hooks";
import type { Session } from "../api.js";
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
  useLoad,
  usePages,
  Pager,
} from "../ui.js";

/** Failures, warnings and above, and security.* events: what GetSecurityEvents returns too. */
function isSecurityEvent(log: AuditLog): boolean {
  return !log.success || log.severity >= Severity.WARNING || log.eventType.startsWith("security.");
}

interface Filter {
  eventType: string;
  userId: string;
  resourceType: string;
  resourceId: string;
  success: string;
  severity: string;
  start: string;
  end: string;
  pageSize: string;
}

const EMPTY: Filter = {
  eventType: "",
  userId: "",
  resourceType: "",
  resourceId: "",
  success: "",
  severity: "0",
  start: "",
  end: "",
  pageSize: "50",
};

const TAIL_INTERVAL_MS = 3000;

type QueryInit = Partial<Omit<QueryAuditLogsRequest, "$typeName">>;

function toRequest(f: Filter): QueryInit {
  const when = (s: string) => (s ? timestampFromDate(new Date(s)) : undefined);
  return {
    eventType: f.eventType,
    userId: f.userId.trim(),
    resourceType: f.resourceType.trim(),
    resourceId: f.resourceId.trim(),
    success: f.success === "" ? undefined : f.success === "true",
    severity: Number(f.severity),
    startTime: when(f.start),
    endTime: when(f.end),
    pageSize: Number(f.pageSize) || 50,
  };
}

export function AuditTable({ logs, label }: { logs: readonly AuditLog[]; label: string }) {
  return (
    <TableWrap label={label}>
      <table id="audit-table">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Event</th>
            <th scope="col">Outcome</th>
            <th scope="col">Severity</th>
            <th scope="col">Principal</th>
            <th scope="col">Method</th>
            <th scope="col">Resource</th>
            <th scope="col">Client</th>
          </tr>
        </thead>
        <tbody>
          {logs.map((l) => (
            <tr key={l.id} class={isSecurityEvent(l) ? "security" : undefined} data-event={l.eventType}>
              <td>{fmtTime(l.time)}</td>
              <td>
                {isSecurityEvent(l) && <span class="tag sec">⚠ security</span>}
                {l.eventType}
              </td>
              <td>{l.success ? "ok" : `✖ ${l.code}${l.errorMessage ? `: ${l.errorMessage}` : ""}`}</td>
              <td>{enumName(Severity, l.severity, "").toLowerCase()}</td>
              <td>{l.principalId || "anonymous"}</td>
              <td>{l.method}</td>
              <td>{l.resourceType && `${l.resourceType} ${l.resourceId}`}</td>
              <td>{l.clientAddress}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

export function AuditLogView({ session }: { session: Session }) {
  const [draft, setDraft] = useState<Filter>(EMPTY);
  const [filter, setFilter] = useState<Filter>(EMPTY);
  const pages = usePages();
  const [tail, setTail] = useState(false);
  const [tailed, setTailed] = useState<AuditLog[]>([]);
  const [tailError, setTailError] = useState<unknown>(undefined);
  const token = pages.token;
  const types = useLoad(() => session.client.audit.listEventTypes({}), []);
  const page = useLoad(
    () => session.client.audit.queryAuditLogs({ ...toRequest(filter), pageToken: token }),
    [filter, token],
  );
  // Tailed rows belong to the first page of one filter: moving away starts over.
  useEffect(() => setTailed([]), [filter, token]);
  const shown = [...tailed, ...(page.data?.logs ?? [])];
  const newest = shown[0]?.time;

  useEffect(() => {
    if (!tail || pages.number > 1) return;
    const timer = setInterval(() => {
      const since = newest ? timestampDate(newest) : new Date(Date.now() - TAIL_INTERVAL_MS);
      session.client.audit
        .queryAuditLogs({ ...toRequest(filter), startTime: timestampFromDate(since), pageSize: 200 })
        .then(
          (res) => {
            setTailError(undefined);
            setTailed((prev) => {
              const seen = new Set([...prev, ...(page.data?.logs ?? [])].map((l) => l.id));
              return [...res.logs.filter((l) => !seen.has(l.id)), ...prev].slice(0, 500);
            });
          },
          (err: unknown) => setTailError(err),
        );
    }, TAIL_INTERVAL_MS);
    return () => clearInterval(timer);
  }, [tail, pages.number, newest, filter, page.data, session]);

  const set = (k: keyof Filter) => (v: string) => setDraft({ ...draft, [k]: v });
  const typeOptions: [string, string][] = [
    ["", "any"],
    ...(types.data?.eventTypes ?? []).map((t) => [t.name, t.name] as [string, string]),
  ];
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <form
        id="audit-filters"
        class="panel"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter(draft);
          pages.reset();
        }}
      >
        <Select
          id="a-event"
          label="Event type"
          value={draft.eventType}
          onValue={set("eventType")}
          options={typeOptions}
        />
        <Field id="a-user" label="User id" value={draft.userId} onValue={set("userId")} />
        <Field id="a-rtype" label="Resource type" value={draft.resourceType} onValue={set("resourceType")} />
        <Field id="a-rid" label="Resource id" value={draft.resourceId} onValue={set("resourceId")} />
        <Select
          id="a-success"
          label="Outcome"
          value={draft.success}
          onValue={set("success")}
          options={[
            ["", "any"],
            ["true", "succeeded"],
            ["false", "failed"],
          ]}
        />
        <Select
          id="a-severity"
          label="Severity"
          value={draft.severity}
          onValue={set("severity")}
          options={enumOptions(Severity, "", "any")}
        />
        <Field
          id="a-start"
          label="From (local time)"
          type="datetime-local"
          value={draft.start}
          onValue={set("start")}
        />
        <Field id="a-end" label="Until (local time)" type="datetime-local" value={draft.end} onValue={set("end")} />
        <Field id="a-size" label="Page size (1-1000)" type="number" value={draft.pageSize} onValue={set("pageSize")} />
        <button type="submit" id="audit-apply">
          Apply filters
        </button>
        <Check id="a-tail" label="Live tail (first page)" checked={tail} onChecked={setTail} />
      </form>
      <ErrorNote error={page.error ?? types.error ?? tailError} />
      {page.loading && <Status>Loading…</Status>}
      {page.data && (
        <>
          <Status>
            <span id="audit-total">{String(page.data.total)}</span> matching events; page {pages.number}
            {tailed.length > 0 && `, ${tailed.length} new since`}
          </Status>
          <AuditTable logs={shown} label="Audit events" />
          <Pager pages={pages} next={page.data.nextPageToken} labels={["Newer", "Older"]} />
        </>
      )}
    </section>
  );
}

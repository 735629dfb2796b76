/**
 * Admin: the audit log at a glance. A timeline of events by outcome or type over a window (binned in
 * the browser from QueryAuditLogs pages), the window's statistics, the security events, and "verify chain".
 */
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { AuditLog, VerifyAuditChainResponse } from "@memoric/client";
import { useMemo, useState } from "preact/hooks";
import type { Session } from "../api.js";
import { PALETTE, type Series, StackedBars } from "../chart.js";
import { ErrorNote, Select, Status, TableWrap, useAction, useLoad } from "../ui.js";
import { AuditTable } from "./audit.js";

const WINDOWS: [string, string][] = [
  ["3600", "last hour"],
  ["21600", "last 6 hours"],
  ["86400", "last 24 hours"],
  ["604800", "last 7 days"],
];
const BUCKETS = 24;
/** Rows fetched for the timeline at most (pages of 1000); the chart says when the window holds more. */
const MAX_ROWS = 5000;

type GroupBy = "outcome" | "category" | "type";

function groupOf(log: AuditLog, by: GroupBy): string {
  if (by === "outcome") return log.success ? "succeeded" : "failed";
  if (by === "category") return log.eventType.split(".")[0] ?? log.eventType;
  return log.eventType;
}

function timeline(logs: readonly AuditLog[], from: number, to: number, by: GroupBy) {
  const width = (to - from) / BUCKETS;
  const counts = new Map<string, number[]>();
  for (const log of logs) {
    if (!log.time) continue;
    const i = Math.min(BUCKETS - 1, Math.max(0, Math.floor((timestampDate(log.time).getTime() - from) / width)));
    const key = groupOf(log, by);
    const row = counts.get(key) ?? new Array<number>(BUCKETS).fill(0);
    row[i]!++;
    counts.set(key, row);
  }
  // Biggest groups first; beyond the palette, the rest are summed as "other".
  const ranked = [...counts.entries()].sort((a, b) => sum(b[1]) - sum(a[1]));
  const fixed: Record<string, string> = { succeeded: PALETTE[0]!, failed: PALETTE[5]! };
  const top = ranked.slice(0, PALETTE.length - 1);
  const rest = ranked.slice(PALETTE.length - 1);
  const series: Series[] = top.map(([label, data], i) => ({ label, data, colour: fixed[label] ?? PALETTE[i]! }));
  if (rest.length) {
    const data = new Array<number>(BUCKETS).fill(0).map((_, i) => sum(rest.map(([, d]) => d[i]!)));
    series.push({ label: "other", data, colour: PALETTE[PALETTE.length - 1]! });
  }
  const short = to - from <= 86_400_000;
  const labels = Array.from({ length: BUCKETS }, (_, i) => {
    const d = new Date(from + i * width);
    return short ? d.toISOString().slice(11, 16) : d.toISOString().slice(5, 13).replace("T", " ") + "h";
  });
  return { labels, series };
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

async function windowLogs(session: Session, from: Date): Promise<{ logs: AuditLog[]; total: bigint }> {
  const logs: AuditLog[] = [];
  let pageToken = "";
  let total = 0n;
  do {
    const res = await session.client.audit.queryAuditLogs({
      startTime: timestampFromDate(from),
      pageSize: 1000,
      pageToken,
    });
    logs.push(...res.logs);
    total = res.total;
    pageToken = res.nextPageToken;
  } while (pageToken && logs.length < MAX_ROWS);
  return { logs, total };
}

function VerifyChain({ session }: { session: Session }) {
  const [result, setResult] = useState<VerifyAuditChainResponse | undefined>(undefined);
  const action = useAction();
  return (
    <div class="panel">
      <button
        type="button"
        id="verify-chain"
        disabled={action.busy}
        onClick={() => void action.run(async () => setResult(await session.client.audit.verifyAuditChain({})))}
      >
        Verify chain
      </button>
      <div id="verify-result" role="status" aria-live="polite">
        {action.busy && "Verifying…"}
        {result?.ok && (
          <span class="ok">
            OK — {String(result.checked)} rows recomputed, {String(result.checkpointsVerified)} signed checkpoints
            verified
          </span>
        )}
        {result && !result.ok && (
          <span class="bad">
            Chain broken: first bad row {result.firstBad?.auditLogId || "(none)"} (shard {result.firstBad?.shard},
            sequence {String(result.firstBad?.sequence ?? "")}): {result.firstBad?.reason}
          </span>
        )}
      </div>
      <ErrorNote error={action.error} />
    </div>
  );
}

export function AuditOverview({ session }: { session: Session }) {
  const [windowSeconds, setWindowSeconds] = useState("3600");
  const [by, setBy] = useState<GroupBy>("outcome");
  const [now, setNow] = useState(() => Date.now());
  const from = now - Number(windowSeconds) * 1000;
  const logs = useLoad(() => windowLogs(session, new Date(from)), [from]);
  const stats = useLoad(
    () =>
      session.client.audit.getAuditStatistics({
        since: timestampFromDate(new Date(from)),
        until: timestampFromDate(new Date(now)),
      }),
    [from, now],
  );
  const security = useLoad(
    () => session.client.audit.getSecurityEvents({ since: timestampFromDate(new Date(from)), limit: 50 }),
    [from],
  );
  const chart = useMemo(() => timeline(logs.data?.logs ?? [], from, now, by), [logs.data, from, now, by]);
  const s = stats.data;
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Audit overview</h1>
      <div class="panel">
        <Select id="o-window" label="Window" value={windowSeconds} onValue={setWindowSeconds} options={WINDOWS} />
        <Select
          id="o-by"
          label="Group by"
          value={by}
          onValue={(v) => setBy(v as GroupBy)}
          options={[
            ["outcome", "outcome"],
            ["category", "event category"],
            ["type", "event type"],
          ]}
        />
        <button type="button" class="secondary" onClick={() => setNow(Date.now())}>
          Refresh
        </button>
      </div>
      <h2>Timeline (UTC)</h2>
      <ErrorNote error={logs.error} />
      {logs.data && (
        <>
          {BigInt(logs.data.logs.length) < logs.data.total && (
            <Status>
              Drawn from the newest {logs.data.logs.length} of {String(logs.data.total)} events in the window.
            </Status>
          )}
          <StackedBars
            id="timeline-chart"
            labels={chart.labels}
            series={chart.series}
            summary={`Events per interval, stacked by ${by}: ${chart.series.map((x) => `${x.label} ${sum(x.data)}`)}`}
          />
        </>
      )}
      <h2>Statistics</h2>
      <ErrorNote error={stats.error} />
      {s && (
        <div class="cols">
          <dl class="stats" id="audit-stats">
            <div>
              <dt>Events</dt>
              <dd>{String(s.total)}</dd>
            </div>
            <div>
              <dt>Succeeded</dt>
              <dd>{String(s.successCount)}</dd>
            </div>
            <div>
              <dt>Failed</dt>
              <dd>{String(s.failureCount)}</dd>
            </div>
            <div>
              <dt>Principals</dt>
              <dd>{String(s.uniquePrincipals)}</dd>
            </div>
          </dl>
          <TableWrap label="Top denied methods">
            <table>
              <caption>Top denied methods</caption>
              <thead>
                <tr>
                  <th scope="col">Method</th>
                  <th scope="col">Denials</th>
                </tr>
              </thead>
              <tbody>
                {s.topDeniedMethods.map((m) => (
                  <tr key={m.method}>
                    <td>{m.method}</td>
                    <td>{String(m.count)}</td>
                  </tr>
                ))}
                {s.topDeniedMethods.length === 0 && (
                  <tr>
                    <td colSpan={2}>None</td>
                  </tr>
                )}
              </tbody>
            </table>
          </TableWrap>
          <TableWrap label="Events by type">
            <table>
              <caption>Events by type</caption>
              <thead>
                <tr>
                  <th scope="col">Event type</th>
                  <th scope="col">Count</th>
                </tr>
              </thead>
              <tbody>
                {s.byEventType.map((e) => (
                  <tr key={e.eventType}>
                    <td>{e.eventType}</td>
                    <td>{String(e.count)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        </div>
      )}
      <h2>Chain integrity</h2>
      <VerifyChain session={session} />
      <h2>Security events</h2>
      <ErrorNote error={security.error} />
      {security.data && (
        <>
          <Status>
            {String(security.data.total)} security events in the window (failures, warnings and above, security.*)
          </Status>
          <AuditTable logs={security.data.logs} label="Security events" />
        </>
      )}
    </section>
  );
}

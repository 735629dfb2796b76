/**
 * Group commit for the audit rows that are not part of a mutation's transaction (reads, denials,
 * failures: the audit interceptor's outcome rows). Rows queue in the process; whenever a flusher is
 * free it appends everything queued (up to maxBatch) to one shard in ONE autocommit statement
 * (audit_append_batch, 0006_audit_batch.sql): one head lock and one round trip per batch instead of
 * per call. Under load a batch carries every row that arrived while the previous one was in flight.
 *
 * The guarantee (DESIGN.md §7): append() resolves only once its row has COMMITTED, so a call answered
 * after awaiting it has its row in the chain, whatever happens to the process afterwards. It rejects
 * with Unavailable (fail closed) when the queue is full, when the batch fails, or when the row is not
 * committed within boundMs (a slow or unreachable audit store): the row may still commit later, so a
 * refused call can have a row, an answered one never lacks one. A batch is one statement, so a crash
 * mid-batch leaves all of it or none of it and the chain verifies either way.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type postgres from "postgres";
import { chainHashSplit, type AuditRecordFields } from "../domain/audit-chain.js";
import type { Sql } from "./database.js";
import { overlay } from "../domain/objects.js";

export type PendingRow = Omit<AuditRecordFields, "seq" | "shard">;

export interface AuditBatchOptions {
  shards: number;
  /** Longest a row may wait for its commit before the call is refused. */
  boundMs: number;
  /** Rows queued or in flight beyond this are refused at once. */
  maxQueued: number;
  maxBatch: number;
  /** Batches in flight at once (each on its own shard). */
  flushers: number;
}

interface Entry {
  row: PendingRow;
  at: number;
  resolve: () => void;
  reject: (err: unknown) => void;
  settled: boolean;
}

export type Canonical = (fields: Omit<AuditRecordFields, "seq">) => [head: string, tail: string];

export class AuditBatcher {
  private queue: Entry[] = [];
  private inFlight = new Set<Entry[]>();
  private nextShard = 0;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly sql: Sql,
    private readonly o: AuditBatchOptions,
    private readonly split: Canonical,
    private readonly onBatch: (ok: boolean, seconds: number, err?: unknown) => void = () => {},
  ) {
    this.nextShard = Math.floor(Math.random() * o.shards);
    this.sweeper = setInterval(() => this.sweep(), Math.max(5, Math.floor(o.boundMs / 2)));
    this.sweeper.unref();
  }

  /** Resolves once the row is committed; rejects Unavailable (see the file comment). */
  append(row: PendingRow): Promise<void> {
    let pending = this.queue.length;
    for (const b of this.inFlight) pending += b.length;
    if (pending >= this.o.maxQueued) return Promise.reject(refused("audit queue full"));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ row, at: performance.now(), resolve, reject, settled: false });
      this.pump();
    });
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  private pump(): void {
    while (this.inFlight.size < this.o.flushers && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.o.maxBatch);
      this.inFlight.add(batch);
      void this.flush(batch).finally(() => {
        this.inFlight.delete(batch);
        this.pump();
      });
    }
  }

  private async flush(batch: Entry[]): Promise<void> {
    const shard = this.nextShard;
    this.nextShard = (this.nextShard + 1) % this.o.shards;
    const started = performance.now();
    try {
      const rows = batch.map((e) => overlay(e.row, { shard }));
      const split = rows.map((f) => this.split(f));
      const json = rows.map((f, i) => {
        const [head, tail] = split[i]!;
        return {
          id: f.id,
          time: f.time.toISOString(),
          event_type: f.eventType,
          severity: f.severity,
          principal_id: f.principalId,
          principal_type: f.principalType,
          roles: f.roles,
          service: f.service,
          method: f.method,
          resource_type: f.resourceType,
          resource_id: f.resourceId,
          success: f.success,
          code: f.code,
          error_message: f.errorMessage,
          client_address: f.clientAddress,
          user_agent: f.userAgent,
          request_id: f.requestId,
          session_id: f.sessionId,
          details: f.details,
          canonical_head: head,
          canonical_tail: tail,
        };
      });
      const result = await this.sql<{ seq: string; prev_hash: string; hash: string }[]>`
        select seq, prev_hash, hash from audit_append_batch(${shard}, ${this.sql.json(json as postgres.JSONValue)})`;
      if (result.length !== rows.length) throw new Error("audit batch: row count mismatch");
      // Committed (autocommit). Re-check each hash over the canonical text the verifier derives from
      // the row (head ‖ seq ‖ tail): a mismatch means the chain would not verify, which must be loud
      // (the rows are in; the calls are refused).
      split.forEach(([head, tail], i) => {
        const r = result[i]!;
        if (chainHashSplit(r.prev_hash, head, Number(r.seq), tail) !== r.hash)
          throw new Error("audit hash mismatch between database and verifier");
      });
      this.onBatch(true, (performance.now() - started) / 1000);
      for (const e of batch) settle(e, undefined);
    } catch (err) {
      this.onBatch(false, (performance.now() - started) / 1000, err);
      const refusal = refused("audit log unavailable");
      for (const e of batch) settle(e, refusal);
    }
  }

  /** Refuses every row older than the bound, queued or in flight. */
  private sweep(): void {
    const limit = performance.now() - this.o.boundMs;
    const late = refused("audit log not written in time");
    while (this.queue.length > 0 && this.queue[0]!.at < limit) settle(this.queue.shift()!, late);
    for (const batch of this.inFlight) for (const e of batch) if (e.at < limit) settle(e, late);
  }
}

function settle(e: Entry, err: unknown): void {
  if (e.settled) return;
  e.settled = true;
  if (err === undefined) e.resolve();
  else e.reject(err);
}

function refused(message: string): ConnectError {
  const err = new ConnectError(message, Code.Unavailable);
  err.metadata.set("retry-after", "1");
  return err;
}

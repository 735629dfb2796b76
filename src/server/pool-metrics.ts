/**
 * Database pool metrics from admission (store/admission.ts): slots in use, callers waiting, how
 * long they waited, and rejections by reason. No per-principal labels.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { Admission, RejectReason } from "../store/admission.js";

const REASONS: readonly RejectReason[] = ["pool_timeout", "principal_limit", "deadline", "cancelled"];

export function registerPoolMetrics(registry: Registry, admission: Admission): void {
  const registers = [registry];
  new Gauge({
    name: "memoric_db_pool_capacity",
    help: "Database transactions admitted at once (the pool less the connection kept for single statements).",
    registers,
    collect() {
      this.set(admission.capacity);
    },
  });
  new Gauge({
    name: "memoric_db_pool_in_use",
    help: "Database transactions currently holding a pool connection.",
    registers,
    collect() {
      this.set(admission.stats().inUse);
    },
  });
  new Gauge({
    name: "memoric_db_pool_waiting",
    help: "Calls waiting for a database connection.",
    registers,
    collect() {
      this.set(admission.stats().waiting);
    },
  });
  new Gauge({
    name: "memoric_db_pool_saturated",
    help: "1 while callers have recently waited the full bound for a database connection, else 0.",
    registers,
    collect() {
      this.set(admission.stats().saturated ? 1 : 0);
    },
  });
  const waits = new Histogram({
    name: "memoric_db_pool_wait_seconds",
    help: "Time calls waited for a database connection before being admitted.",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers,
  });
  const rejected = new Counter({
    name: "memoric_db_pool_rejected_total",
    help: "Calls refused a database connection, by reason (pool_timeout, principal_limit, deadline, cancelled).",
    labelNames: ["reason"] as const,
    registers,
  });
  for (const reason of REASONS) rejected.inc({ reason }, 0);
  admission.onAdmit = (seconds) => waits.observe(seconds);
  admission.onReject = (reason) => rejected.inc({ reason });
}

/**
 * Deadlines reach the database: the call's deadline (gRPC `grpc-timeout`, Connect
 * `connect-timeout-ms`) becomes the call's deadlineKey value, which every transaction opened for the
 * call is handed (txOptionsOf in call-context.ts), and inTx turns the time left into a transaction-local
 * `statement_timeout`, so Postgres itself stops the SQL of a call whose client has given up (PGlite,
 * single-session and timer-less, ignores it).
 */
import type { Interceptor } from "@connectrpc/connect";
import { deadlineKey } from "../domain/call.js";

const GRPC_UNITS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

/**
 * Milliseconds from a `grpc-timeout` ("100m", "5S") or `connect-timeout-ms` header; undefined if absent or
 * malformed.
 */
export function timeoutFromHeaders(header: Headers): number | undefined {
  const grpc = header.get("grpc-timeout");
  if (grpc) {
    const m = /^(\d{1,8})([HMSmun])$/.exec(grpc);
    return m ? Number(m[1]) * GRPC_UNITS[m[2]!]! : undefined;
  }
  const connect = header.get("connect-timeout-ms");
  if (connect && /^\d{1,10}$/.test(connect)) return Number(connect);
  return undefined;
}

export function deadlineInterceptor(): Interceptor {
  return (next) => (req) => {
    const timeout = timeoutFromHeaders(req.header);
    if (timeout !== undefined) req.contextValues.set(deadlineKey, Date.now() + timeout);
    return next(req);
  };
}

/**
 * The current call's deadline, in async-local storage: set per RPC by interceptors/deadline.ts,
 * read by inTx, which turns the time left into the transaction's statement_timeout.
 */
import { AsyncLocalStorage } from "node:async_hooks";

const deadlines = new AsyncLocalStorage<number>();

/** The current call's absolute deadline (ms since epoch), if it has one. */
export function currentDeadline(): number | undefined {
  return deadlines.getStore();
}

/** Runs fn with a deadline: every inTx inside it is bounded by it. */
export function withDeadline<T>(deadline: number, fn: () => T): T {
  return deadlines.run(deadline, fn);
}

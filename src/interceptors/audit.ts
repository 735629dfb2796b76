/**
 * Records the outcome of every audited RPC (those whose access rule names an event; health and
 * reflection have none). Placed right inside the error interceptor, so it sees the raw outcome of
 * authentication, authorization, rate limiting and the handler.
 *
 * - A handler whose audit row committed with its transaction (services/audited-tx.ts sets
 *   auditWrittenKey): nothing more.
 * - Otherwise one row is appended after the call, group-committed with other calls' rows
 *   (store/audit-batch.ts: one chain append per batch), and the answer waits for that commit
 *   (streams: when the stream ends). Success → the RPC's event, described by the read helper's readOutcomeKey.
 *   Failure → the event the error was tagged with (domain/audited-error.ts: auth.token.expired,
 *   security.rate_limit.exceeded, ...), else authz.access.denied (PermissionDenied),
 *   auth.token.invalid (Unauthenticated), system.error (a non-Connect error: a bug), or the RPC's
 *   event with success=false.
 * - If that write fails or misses its bound: a successful unary call — a read, or a mutation whose
 *   handler did not record in its transaction (the backstop) — answers Unavailable (fail closed: no
 *   answered call lacks its row). A failed call keeps its own error and the failed write is logged;
 *   so does a stream, whose messages were already sent.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { AUDIT_EVENTS, severityRank, type AuditEventType, type SeverityName } from "../domain/audit-events.js";
import { RPCS } from "../domain/access-rules.js";
import { auditEventOf } from "../domain/audited-error.js";
import { auditWrittenKey, callInfoOf, principalKey, readOutcomeKey, type ReadOutcome } from "../domain/call.js";
import type { AppContext } from "../app-context.js";
import { codeName, type AuditEventInput } from "../store/audit-log.js";
import { overlay } from "../domain/objects.js";

const SERVER_FAULTS = new Set([Code.Internal, Code.Unknown, Code.DataLoss]);

/**
 * The row describing how the call ended; undefined when there is nothing to record. `read` is the
 * description the handler left (withReadTx, describeRead), for a success or a failure alike.
 */
function outcomeEvent(
  rpcEvent: AuditEventType | undefined,
  read: ReadOutcome | undefined,
  err: unknown,
): AuditEventInput | undefined {
  const refine = { resourceType: read?.resourceType, resourceId: read?.resourceId, details: read?.details };
  if (err === undefined) return rpcEvent && { type: rpcEvent, success: true, code: "ok", ...refine };
  const ce = err instanceof ConnectError ? err : undefined;
  const code = ce?.code ?? Code.Internal;
  let type: AuditEventType | undefined;
  if (!ce)
    type = "system.error"; // whatever the handler hoped to record, this is a bug
  else
    type =
      auditEventOf(err) ??
      (code === Code.PermissionDenied
        ? "authz.access.denied"
        : code === Code.Unauthenticated
          ? "auth.token.invalid"
          : rpcEvent);
  if (!type) return undefined;
  const base: SeverityName = AUDIT_EVENTS[type].defaultSeverity;
  const severity: SeverityName = SERVER_FAULTS.has(code) && severityRank(base) < severityRank("error") ? "error" : base;
  return {
    type,
    success: false,
    severity,
    code: codeName(code),
    // Only a ConnectError's message was written for clients; anything else may hold driver/row text.
    errorMessage: ce ? ce.rawMessage : "internal error",
    ...refine,
  };
}

export function auditInterceptor(deps: Pick<AppContext, "audit" | "logger" | "config">): Interceptor {
  const { audit, logger, config } = deps;

  return (next) => async (req) => {
    const procedure = `${req.service.typeName}/${req.method.name}`;
    const policy = Object.hasOwn(RPCS, procedure) ? RPCS[procedure] : undefined;
    // Listed without an event (health, reflection): never audited. Unlisted: only its denial is.
    if (!config.audit.enabled || (policy && !policy.event)) return next(req);
    const values = req.contextValues;

    const finish = async (err: unknown, failClosed: boolean): Promise<void> => {
      const call = callInfoOf(values, req.service.typeName, req.method.name);
      if (
        config.audit.logGranted &&
        values.get(principalKey) &&
        policy &&
        policy.access !== "public" &&
        !isDenial(err)
      ) {
        await audit
          .recordStandalone(call, {
            type: "authz.access.granted",
            success: true,
            details: { permission: policy.access },
          })
          .catch(() =>
            logger.error({ procedure, requestId: call.requestId }, "audit write failed (authz.access.granted)"),
          );
      }
      if (values.get(auditWrittenKey)) return;
      const input = outcomeEvent(policy?.event, values.get(readOutcomeKey)?.(), err);
      if (!input) return;
      try {
        await audit.recordStandalone(call, input);
      } catch (writeErr) {
        logger.error(
          { procedure, requestId: call.requestId, event: input.type },
          "audit write failed for a call outcome",
        );
        if (failClosed && err === undefined) throw writeErr;
      }
    };

    let res;
    try {
      res = await next(req);
    } catch (err) {
      await finish(err, false);
      throw err;
    }
    if (!res.stream) {
      await finish(undefined, true);
      return res;
    }
    return overlay(res, { message: recordWhenDone(res.message, req.signal, (err) => finish(err, false)) });
  };
}

function isDenial(err: unknown): boolean {
  return err instanceof ConnectError && (err.code === Code.PermissionDenied || err.code === Code.Unauthenticated);
}

/** Passes a response stream through and records its outcome once it completes, fails or is abandoned. */
async function* recordWhenDone<T>(
  stream: AsyncIterable<T>,
  signal: AbortSignal,
  done: (err: unknown) => Promise<void>,
): AsyncIterable<T> {
  let err: unknown;
  let completed = false;
  try {
    yield* stream;
    completed = true;
  } catch (e) {
    err = e;
    throw e;
  } finally {
    // Abandoned by the client (cancel, deadline, disconnect) without an error of its own.
    if (!completed && err === undefined)
      err = new ConnectError(signal.aborted ? "cancelled by the client" : "stream abandoned", Code.Canceled);
    await done(err);
  }
}

/**
 * Records the standard gRPC server metrics (src/metrics/metrics.ts) for every call: started,
 * handled by code, handling time, and messages received/sent — one each for unary calls, every
 * message for streams. Labels are service, method, type and code only.
 *
 * It runs outermost, outside the error interceptor, so the code it records is the one the client
 * receives; anything that still is not a ConnectError is counted as Internal, which is what the
 * error interceptor turns it into.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { GrpcLabels, GrpcType, Metrics } from "../metrics/metrics.js";
import { overlay } from "../domain/objects.js";

const TYPES: Record<string, GrpcType> = {
  unary: "unary",
  client_streaming: "client_stream",
  server_streaming: "server_stream",
  bidi_streaming: "bidi_stream",
};

function codeName(code: Code | undefined): string {
  // "PermissionDenied" is what go-grpc-prometheus emits (Go's code.String()).
  return code === undefined ? "OK" : (Code[code] ?? "Unknown");
}

/** The status the client ends up with (see errors.ts: non-ConnectErrors become Internal). */
function clientCode(err: unknown): Code {
  return err instanceof ConnectError ? err.code : Code.Internal;
}

async function* counted<T>(stream: AsyncIterable<T>, count: () => void): AsyncIterable<T> {
  for await (const message of stream) {
    count();
    yield message;
  }
}

/** One method's metric children, label values bound once (prom-client hashes labels on every inc otherwise). */
interface MethodMetrics {
  started: { inc(): void };
  received: () => void;
  sent: () => void;
  startTimer: () => () => void;
  handled: (code: Code | undefined) => void;
}

function methodMetrics(metrics: Metrics, labels: GrpcLabels): MethodMetrics {
  const { started, handled, handlingSeconds, msgReceived, msgSent } = metrics.grpc;
  const received = msgReceived.labels(labels);
  const sent = msgSent.labels(labels);
  const seconds = handlingSeconds.labels(labels);
  const byCode = new Map<string, { inc(): void }>();
  return {
    started: started.labels(labels),
    received: () => received.inc(),
    sent: () => sent.inc(),
    startTimer: () => seconds.startTimer(),
    handled: (code) => {
      const name = codeName(code);
      let child = byCode.get(name);
      if (!child) {
        child = handled.labels(overlay(labels, { grpc_code: name }));
        byCode.set(name, child);
      }
      child.inc();
    },
  };
}

export function metricsInterceptor(metrics: Metrics): Interceptor {
  // Keyed by the method descriptor: a fixed set, created at start-up.
  const perMethod = new WeakMap<object, MethodMetrics>();
  return (next) => async (req) => {
    let m = perMethod.get(req.method);
    if (!m) {
      m = methodMetrics(metrics, {
        grpc_type: TYPES[req.method.methodKind] ?? "bidi_stream",
        grpc_service: req.service.typeName,
        grpc_method: req.method.name,
      });
      perMethod.set(req.method, m);
    }
    const { received, sent } = m;
    m.started.inc();
    const end = m.startTimer();
    let finished = false;
    const finish = (code: Code | undefined) => {
      if (finished) return;
      finished = true;
      end();
      m.handled(code);
    };
    try {
      if (req.stream) req = overlay(req, { message: counted(req.message, received) });
      else received();
      const res = await next(req);
      if (!res.stream) {
        sent();
        finish(undefined);
        return res;
      }
      const inner = res.message;
      return overlay(res, {
        message: (async function* () {
          try {
            yield* counted(inner, sent);
            finish(undefined);
          } catch (err) {
            finish(clientCode(err));
            throw err;
          } finally {
            // Left early without an error: the client went away mid-stream.
            finish(Code.Canceled);
          }
        })(),
      });
    } catch (err) {
      finish(clientCode(err));
      throw err;
    }
  };
}

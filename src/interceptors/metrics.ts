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

export function metricsInterceptor(metrics: Metrics): Interceptor {
  const { started, handled, handlingSeconds, msgReceived, msgSent } = metrics.grpc;
  return (next) => async (req) => {
    const labels: GrpcLabels = {
      grpc_type: TYPES[req.method.methodKind] ?? "bidi_stream",
      grpc_service: req.service.typeName,
      grpc_method: req.method.name,
    };
    started.inc(labels);
    const end = handlingSeconds.startTimer(labels);
    let finished = false;
    const finish = (code: Code | undefined) => {
      if (finished) return;
      finished = true;
      end();
      handled.inc({ ...labels, grpc_code: codeName(code) });
    };
    const received = () => msgReceived.inc(labels);
    const sent = () => msgSent.inc(labels);
    try {
      if (req.stream) req = { ...req, message: counted(req.message, received) };
      else received();
      const res = await next(req);
      if (!res.stream) {
        sent();
        finish(undefined);
        return res;
      }
      const inner = res.message;
      return {
        ...res,
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
      };
    } catch (err) {
      finish(clientCode(err));
      throw err;
    }
  };
}

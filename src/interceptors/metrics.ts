/**
 * Prometheus metrics with the standard gRPC server names (as go-grpc-prometheus / grpc-ecosystem
 * export them), so existing dashboards work. Labels are service, method, type and code only —
 * never a user id, token or anything from a request body. prom-client does the bookkeeping.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";

export interface ServerMetrics {
  readonly registry: Registry;
  readonly interceptor: Interceptor;
}

function codeName(code: Code): string {
  // "PermissionDenied" → "PermissionDenied" is what go-grpc-prometheus emits (Go's code.String()).
  return Code[code] ?? "Unknown";
}

export function createServerMetrics(): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ["grpc_type", "grpc_service", "grpc_method"] as const;
  const started = new Counter({ name: "grpc_server_started_total", help: "Total number of RPCs started on the server.", labelNames, registers: [registry] });
  const handled = new Counter({ name: "grpc_server_handled_total", help: "Total number of RPCs completed on the server, regardless of success or failure.", labelNames: [...labelNames, "grpc_code"], registers: [registry] });
  const seconds = new Histogram({
    name: "grpc_server_handling_seconds",
    help: "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.",
    labelNames,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const interceptor: Interceptor = (next) => async (req) => {
    const labels = {
      grpc_type: req.method.methodKind === "unary" ? "unary" : req.method.methodKind === "server_streaming" ? "server_stream" : req.method.methodKind === "client_streaming" ? "client_stream" : "bidi_stream",
      grpc_service: req.service.typeName,
      grpc_method: req.method.name,
    };
    started.inc(labels);
    const end = seconds.startTimer(labels);
    const finish = (code: Code | undefined) => {
      end();
      handled.inc({ ...labels, grpc_code: code === undefined ? "OK" : codeName(code) });
    };
    try {
      const res = await next(req);
      if (!res.stream) {
        finish(undefined);
        return res;
      }
      const inner = res.message;
      return {
        ...res,
        message: (async function* () {
          try {
            yield* inner;
            finish(undefined);
          } catch (err) {
            finish(ConnectError.from(err).code);
            throw err;
          }
        })(),
      };
    } catch (err) {
      finish(ConnectError.from(err).code);
      throw err;
    }
  };
  return { registry, interceptor };
}

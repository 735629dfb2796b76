/**
 * Spec: the metrics interceptor records the status the client receives (a non-ConnectError is
 * answered Internal by the error interceptor, so it is counted Internal, never Unknown), counts one
 * message each way for unary calls and every message of a stream, and counts a stream the client
 * abandons as Canceled.
 */
import { create, type DescMessage } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextValues,
  type StreamRequest,
  type StreamResponse,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { expect, it } from "vitest";
import { Health, HealthCheckRequestSchema, HealthCheckResponseSchema } from "../../gen/grpc/health/v1/health_pb.js";
import { metricsInterceptor } from "../../src/interceptors/metrics.js";
import { createMetrics, type Metrics } from "../../src/metrics/metrics.js";

type Req = UnaryRequest<DescMessage, DescMessage>;

function unary(): Req {
  return {
    stream: false,
    service: Health,
    method: Health.method.check,
    requestMethod: "POST",
    url: "http://x/grpc.health.v1.Health/Check",
    signal: new AbortController().signal,
    header: new Headers(),
    contextValues: createContextValues(),
    message: create(HealthCheckRequestSchema),
  } as unknown as Req;
}

function watch(): StreamRequest<DescMessage, DescMessage> {
  return {
    ...unary(),
    stream: true,
    method: Health.method.watch,
    message: (async function* () {
      yield create(HealthCheckRequestSchema);
    })(),
  } as unknown as StreamRequest<DescMessage, DescMessage>;
}

async function value(m: Metrics, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = m.registry.getSingleMetric(name);
  const values = (await metric!.get()).values;
  return values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value;
}

it("counts a non-ConnectError as Internal (what the client receives), not Unknown", async () => {
  const m = createMetrics();
  const handler = metricsInterceptor(m)(async () => {
    throw new TypeError("driver exploded");
  });
  await expect(handler(unary())).rejects.toThrow("driver exploded");
  expect(await value(m, "grpc_server_handled_total", { grpc_method: "Check", grpc_code: "Internal" })).toBe(1);
  expect(await value(m, "grpc_server_handled_total", { grpc_code: "Unknown" })).toBeUndefined();
  expect(await value(m, "grpc_server_msg_received_total", { grpc_method: "Check" })).toBe(1);
  expect(await value(m, "grpc_server_msg_sent_total", { grpc_method: "Check" })).toBeUndefined();
});

it("keeps a ConnectError's code", async () => {
  const m = createMetrics();
  const handler = metricsInterceptor(m)(async () => {
    throw new ConnectError("no", Code.PermissionDenied);
  });
  await expect(handler(unary())).rejects.toThrow("no");
  expect(await value(m, "grpc_server_handled_total", { grpc_code: "PermissionDenied" })).toBe(1);
});

it("counts one message each way for a successful unary call", async () => {
  const m = createMetrics();
  const handler = metricsInterceptor(m)(
    async (req) =>
      ({
        stream: false,
        service: req.service,
        method: req.method,
        header: new Headers(),
        trailer: new Headers(),
        message: create(HealthCheckResponseSchema),
      }) as unknown as UnaryResponse,
  );
  await handler(unary());
  const labels = { grpc_type: "unary", grpc_service: "grpc.health.v1.Health", grpc_method: "Check" };
  expect(await value(m, "grpc_server_msg_received_total", labels)).toBe(1);
  expect(await value(m, "grpc_server_msg_sent_total", labels)).toBe(1);
  expect(await value(m, "grpc_server_handled_total", { ...labels, grpc_code: "OK" })).toBe(1);
});

function streamHandler(m: Metrics, sent: number, fail?: unknown) {
  return metricsInterceptor(m)(async (req) => {
    for await (const _ of req.message as AsyncIterable<unknown>) void _; // the handler reads the request
    return {
      stream: true,
      service: req.service,
      method: req.method,
      header: new Headers(),
      trailer: new Headers(),
      message: (async function* () {
        for (let i = 0; i < sent; i++) yield create(HealthCheckResponseSchema);
        if (fail) throw fail;
      })(),
    } as unknown as StreamResponse;
  });
}

it("counts every message of a stream, and its outcome when it ends", async () => {
  const m = createMetrics();
  const res = (await streamHandler(m, 3)(watch())) as StreamResponse;
  for await (const _ of res.message) void _;
  const labels = { grpc_type: "server_stream", grpc_method: "Watch" };
  expect(await value(m, "grpc_server_msg_received_total", labels)).toBe(1);
  expect(await value(m, "grpc_server_msg_sent_total", labels)).toBe(3);
  expect(await value(m, "grpc_server_handled_total", { ...labels, grpc_code: "OK" })).toBe(1);

  const failing = (await streamHandler(m, 1, new Error("mid-stream"))(watch())) as StreamResponse;
  await expect(
    (async () => {
      for await (const _ of failing.message) void _;
    })(),
  ).rejects.toThrow("mid-stream");
  expect(await value(m, "grpc_server_handled_total", { ...labels, grpc_code: "Internal" })).toBe(1);
  expect(await value(m, "grpc_server_msg_sent_total", labels)).toBe(4);
});

it("counts a stream the client leaves early as Canceled, once", async () => {
  const m = createMetrics();
  const res = (await streamHandler(m, 5)(watch())) as StreamResponse;
  for await (const _ of res.message) break; // what the server does when the client goes away
  const labels = { grpc_method: "Watch" };
  expect(await value(m, "grpc_server_handled_total", { ...labels, grpc_code: "Canceled" })).toBe(1);
  expect(await value(m, "grpc_server_handled_total", { ...labels, grpc_code: "OK" })).toBeUndefined();
  expect(await value(m, "grpc_server_msg_sent_total", labels)).toBe(1);
  const histogram = await m.registry.getSingleMetricAsString("grpc_server_handling_seconds");
  expect(histogram).toMatch(/^grpc_server_handling_seconds_count\{[^}]*\} 1$/m);
});

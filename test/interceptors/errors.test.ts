/**
 * Spec: anything a handler throws that is not a ConnectError is logged (with the request id) and
 * answered Internal with a generic message — no stack, no driver text reaches the client.
 */
import { create, type DescMessage } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues, type UnaryRequest, type UnaryResponse } from "@connectrpc/connect";
import { Writable } from "node:stream";
import { expect, it } from "vitest";
import { Health, HealthCheckRequestSchema, HealthCheckResponseSchema } from "../../gen/grpc/health/v1/health_pb.js";
import { RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { errorInterceptor } from "../../src/interceptors/errors.js";
import { requestIdKey } from "../../src/interceptors/request-context.js";
import { createLogger } from "../../src/logger.js";

type Req = UnaryRequest<DescMessage, DescMessage>;

function request(): Req {
  return {
    stream: false,
    service: Health,
    method: Health.method.check,
    requestMethod: "POST",
    url: "http://x/grpc.health.v1.Health/Check",
    signal: new AbortController().signal,
    header: new Headers(),
    contextValues: createContextValues().set(requestIdKey, "req-123"),
    message: create(HealthCheckRequestSchema),
  } as unknown as Req;
}

function capture() {
  const lines: string[] = [];
  const sink = new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) });
  return { lines, logger: createLogger("info", sink) };
}

it("masks a non-ConnectError as Internal with the request id, and logs the original", async () => {
  const { lines, logger } = capture();
  const handler = errorInterceptor(logger)(async () => {
    throw new Error('relation "users" violates something: secret-driver-text');
  });
  const err = await (handler(request()) as Promise<UnaryResponse>).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConnectError);
  expect((err as ConnectError).code).toBe(Code.Internal);
  expect((err as ConnectError).rawMessage).toBe("internal error (request id req-123)");
  expect((err as ConnectError).rawMessage).not.toContain("secret-driver-text");
  await new Promise((r) => setImmediate(r));
  const logged = lines.join("\n");
  expect(logged).toContain("secret-driver-text");
  expect(logged).toContain('"requestId":"req-123"');
});

it("passes ConnectErrors through unchanged, with the request id in their metadata", async () => {
  const { logger } = capture();
  const handler = errorInterceptor(logger)(async () => {
    throw new ConnectError("id: must be a UUID", Code.InvalidArgument);
  });
  const err = (await (handler(request()) as Promise<UnaryResponse>).catch((e: unknown) => e)) as ConnectError;
  expect(err.code).toBe(Code.InvalidArgument);
  expect(err.rawMessage).toBe("id: must be a UUID");
  expect(err.metadata.get("x-request-id")).toBe("req-123");
});

it("echoes the request id on success", async () => {
  const { logger } = capture();
  const handler = errorInterceptor(logger)(
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
  const res = (await handler(request())) as UnaryResponse;
  expect(res.header.get("x-request-id")).toBe("req-123");
});

it("gives every Unavailable/ResourceExhausted a RetryInfo matching retry-after (1 s when none is given)", async () => {
  const { logger } = capture();
  const fail = (err: ConnectError) =>
    errorInterceptor(logger)(async () => {
      throw err;
    });
  const unavailable = (await (
    fail(new ConnectError("database unavailable", Code.Unavailable))(request()) as Promise<UnaryResponse>
  ).catch((e: unknown) => e)) as ConnectError;
  expect(unavailable.code).toBe(Code.Unavailable);
  expect(unavailable.metadata.get("retry-after")).toBe("1");
  expect(unavailable.findDetails(RetryInfoSchema)[0]?.retryDelay?.seconds).toBe(1n);

  const limited = new ConnectError("rate limit exceeded", Code.ResourceExhausted);
  limited.metadata.set("retry-after", "7");
  const exhausted = (await (fail(limited)(request()) as Promise<UnaryResponse>).catch(
    (e: unknown) => e,
  )) as ConnectError;
  expect(exhausted.metadata.get("retry-after")).toBe("7");
  expect(exhausted.findDetails(RetryInfoSchema).map((r) => r.retryDelay?.seconds)).toEqual([7n]);

  const other = (await (fail(new ConnectError("no", Code.NotFound))(request()) as Promise<UnaryResponse>).catch(
    (e: unknown) => e,
  )) as ConnectError;
  expect(other.findDetails(RetryInfoSchema)).toEqual([]);
  expect(other.metadata.get("retry-after")).toBeNull();
});

it("answers connect's request-parse failure as InvalidArgument, and leaves a genuine Internal alone", async () => {
  const { logger } = capture();
  const fail = (err: ConnectError) =>
    errorInterceptor(logger)(async () => {
      throw err;
    });
  const parse = (await (
    fail(new ConnectError("parse binary: premature EOF", Code.Internal))(request()) as Promise<UnaryResponse>
  ).catch((e: unknown) => e)) as ConnectError;
  expect(parse.code).toBe(Code.InvalidArgument);
  expect(parse.rawMessage).toBe("malformed request message: premature EOF");
  const internal = (await (
    fail(new ConnectError("serialize binary: boom", Code.Internal))(request()) as Promise<UnaryResponse>
  ).catch((e: unknown) => e)) as ConnectError;
  expect(internal.code).toBe(Code.Internal);
});

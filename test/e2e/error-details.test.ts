/**
 * Spec: errors a client can act on, read back the way each kind of client reads them.
 * - Undecodable request bytes (truncated field, invalid UTF-8) are InvalidArgument, on every
 *   protocol, never Internal; unknown JSON fields and enum names are InvalidArgument naming them.
 * - An unknown method is gRPC status 12 (gRPC, gRPC-web) / Unimplemented (Connect); /healthz stays.
 * - Validation reports every invalid field as google.rpc.BadRequest field violations in
 *   grpc-status-details-bin (grpc-js parses the trailer by hand) and in Connect error details.
 * - ResourceExhausted carries google.rpc.RetryInfo matching retry-after; PermissionDenied and
 *   Unauthenticated carry google.rpc.ErrorInfo with a stable reason.
 */
import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import http2 from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../gen/google/rpc/status_pb.js";
import { AuthService, RegisterRequestSchema, RegisterResponseSchema } from "../../gen/memoric/v1/auth_pb.js";
import { MemoryService } from "../../gen/memoric/v1/memory_pb.js";
import { testMode } from "../support/database.js";
import { registerAndLogin, userWithRoles, type TestUser } from "../support/identity.js";
import { startTestServer, type TestServer } from "../support/server.js";

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );

interface RawReply {
  status: number;
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  body: Buffer;
}

/** One raw HTTP/2 request: what any gRPC peer could put on the wire. */
function rawCall(
  port: number,
  path: string,
  contentType: string,
  body: Buffer,
  extra: Record<string, string> = {},
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": contentType,
      te: "trailers",
      ...extra,
    });
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on("response", (h) => (headers = h));
    stream.on("trailers", (t) => (trailers = t));
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("error", reject);
    stream.on("end", () => {
      session.close();
      resolve({ status: Number(headers[":status"]), headers, trailers, body: Buffer.concat(chunks) });
    });
    stream.end(body);
  });
}

/** A length-prefixed gRPC message frame. */
function frame(payload: Buffer, flags = 0): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

/** The enveloped frames of a gRPC-web or Connect streaming body. */
function frames(body: Buffer): { flags: number; data: Buffer }[] {
  const out: { flags: number; data: Buffer }[] = [];
  for (let at = 0; at + 5 <= body.length; ) {
    const length = body.readUInt32BE(at + 1);
    out.push({ flags: body[at]!, data: body.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return out;
}

/** grpc-status and grpc-message of a reply: trailers, or headers for a trailers-only reply. */
function grpcStatus(reply: RawReply): { code: number; message: string } {
  const src = reply.trailers["grpc-status"] !== undefined ? reply.trailers : reply.headers;
  return { code: Number(src["grpc-status"]), message: decodeURIComponent(String(src["grpc-message"] ?? "")) };
}

// Field 1 (username, length-delimited) claims 10 bytes but only 2 follow.
const TRUNCATED = Buffer.from([0x0a, 0x0a, 0x61, 0x62]);
// Field 1 holds 0xff 0xfe: not UTF-8, which proto3 strings must be.
const BAD_UTF8 = Buffer.from([0x0a, 0x02, 0xff, 0xfe]);
const REGISTER = "/memoric.v1.AuthService/Register";

/** Register with three invalid fields (username, email, password). */
const THREE_BAD = { username: "x!", email: "not-an-email", password: "short", fullName: "Three Bad" };

function fieldsOf(err: ConnectError | undefined): string[] {
  return (err?.findDetails(BadRequestSchema) ?? []).flatMap((d) => d.fieldViolations.map((v) => v.field)).sort();
}

/** grpc-js: a unary call by path, its error's google.rpc.Status parsed from the trailer by hand. */
function grpcJsCall<I extends DescMessage, O extends DescMessage>(
  port: number,
  path: string,
  input: I,
  output: O,
  value: MessageShape<I>,
  metadata = new grpc.Metadata(),
): Promise<{ code: number; details: string; status?: MessageShape<typeof StatusSchema> }> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      (v: MessageShape<I>) => Buffer.from(toBinary(input, v)),
      (b: Buffer) => fromBinary(output, b),
      value,
      metadata,
      { deadline: Date.now() + 10_000 },
      (err) => {
        client.close();
        if (!err) return resolve({ code: 0, details: "" });
        const bin = err.metadata.get("grpc-status-details-bin")[0];
        const status = bin ? fromBinary(StatusSchema, bin as Buffer) : undefined;
        resolve({ code: err.code, details: err.details, status });
      },
    );
  });
}

describe(`actionable errors (${testMode})`, () => {
  let server: TestServer;
  let user: TestUser;
  let transports: Record<string, Transport>;

  beforeAll(async () => {
    server = await startTestServer({ MEMORIC_RATE_LIMIT_ANONYMOUS_RPC: "100000" });
    user = await registerAndLogin(server);
    const auth =
      (next: Parameters<import("@connectrpc/connect").Interceptor>[0]) => (req: Parameters<typeof next>[0]) => {
        req.header.set("authorization", `Bearer ${user.token}`);
        return next(req);
      };
    transports = {
      grpc: createGrpcTransport({ baseUrl: server.url, interceptors: [auth] }),
      "grpc-web": createGrpcWebTransport({ baseUrl: server.url, httpVersion: "1.1", interceptors: [auth] }),
      "connect-json": createConnectTransport({
        baseUrl: server.url,
        httpVersion: "1.1",
        useBinaryFormat: false,
        interceptors: [auth],
      }),
      "connect-proto": createConnectTransport({
        baseUrl: server.url,
        httpVersion: "2",
        useBinaryFormat: true,
        interceptors: [auth],
      }),
    };
  });
  afterAll(async () => {
    await server?.close();
  });

  describe("malformed input", () => {
    for (const [what, payload] of [
      ["a truncated field", TRUNCATED],
      ["invalid UTF-8 in a string field", BAD_UTF8],
    ] as const) {
      it(`${what} in a raw gRPC frame is InvalidArgument, not Internal`, async () => {
        const reply = await rawCall(server.port, REGISTER, "application/grpc", frame(payload));
        const status = grpcStatus(reply);
        expect(status.code, status.message).toBe(Code.InvalidArgument);
        expect(status.message).toMatch(/^malformed request message: /);
      });

      it(`${what} is InvalidArgument over gRPC-web and Connect (unary and streaming) too`, async () => {
        const web = await rawCall(server.port, REGISTER, "application/grpc-web+proto", frame(payload));
        const trailer = frames(web.body).find((f) => f.flags === 0x80);
        expect(trailer?.data.toString("latin1")).toMatch(/^grpc-status: ?3\r\n/m);
        const unary = await rawCall(server.port, REGISTER, "application/proto", payload, {
          "connect-protocol-version": "1",
        });
        expect(unary.status).toBe(400);
        expect(JSON.parse(unary.body.toString("utf8"))).toMatchObject({ code: "invalid_argument" });
        // ExportMemories is server-streaming: the message is decoded inside the interceptor chain.
        const stream = await rawCall(
          server.port,
          "/memoric.v1.MemoryService/ExportMemories",
          "application/connect+proto",
          frame(Buffer.from([0x0a, 0x0a, 0x01])),
          { authorization: `Bearer ${user.token}` },
        );
        const end = JSON.parse(
          frames(stream.body)
            .find((f) => f.flags === 0x02)!
            .data.toString("utf8"),
        ) as { error?: { code: string } };
        expect(end.error?.code).toBe("invalid_argument");
      });
    }

    it("a genuine Internal is not relabelled", async () => {
      // A well-formed request that reaches the handler and succeeds shows the wrapper is transparent.
      const reply = await grpcJsCall(
        server.port,
        REGISTER,
        RegisterRequestSchema,
        RegisterResponseSchema,
        create(RegisterRequestSchema, {
          username: `ok${Date.now()}`,
          email: `ok${Date.now()}@example.com`,
          password: "correct horse battery staple 42",
          fullName: "Ok",
        }),
      );
      expect(reply.code).toBe(0);
    });

    it("an unknown enum name in Connect JSON is InvalidArgument naming the field", async () => {
      const res = await fetch(`${server.url}/memoric.v1.MemoryService/CreateMemory`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${user.token}` },
        body: JSON.stringify({ content: "hello", importance: "VERY_HIGH" }),
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { code: string; message: string };
      expect(body.code).toBe("invalid_argument");
      expect(body.message).toMatch(/^importance: /);
      expect(body.message).toContain("VERY_HIGH");
      const details = (body as unknown as { details?: { type: string }[] }).details ?? [];
      expect(details.map((d) => d.type)).toContain("google.rpc.BadRequest");
      // Nested in a batch: the path names the item.
      const batch = await fetch(`${server.url}/memoric.v1.MemoryService/BatchCreateMemories`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${user.token}` },
        body: JSON.stringify({ memories: [{ content: "a" }, { content: "b", role: "CHAT_ROLE_WIZARD" }] }),
      });
      expect(batch.status).toBe(400);
      expect(((await batch.json()) as { message: string }).message).toMatch(/^memories\[1\]\.role: /);
    });

    it("an unknown field in Connect JSON is InvalidArgument naming the field", async () => {
      const res = await fetch(`${server.url}/memoric.v1.MemoryService/CreateMemory`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${user.token}` },
        body: JSON.stringify({ content: "hello", colour: "red" }),
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { code: string; message: string };
      expect(body.code).toBe("invalid_argument");
      expect(body.message).toContain("colour");
    });
  });

  describe("unknown methods", () => {
    it("are gRPC status 12 for grpc-js", async () => {
      const reply = await grpcJsCall(
        server.port,
        "/memoric.v1.MemoryService/NoSuchMethod",
        RegisterRequestSchema,
        RegisterResponseSchema,
        create(RegisterRequestSchema),
      );
      expect(reply.code).toBe(grpc.status.UNIMPLEMENTED);
      const unknownService = await grpcJsCall(
        server.port,
        "/no.such.Service/Call",
        RegisterRequestSchema,
        RegisterResponseSchema,
        create(RegisterRequestSchema),
      );
      expect(unknownService.code).toBe(grpc.status.UNIMPLEMENTED);
    });

    it("are status 12 on raw gRPC and gRPC-web, and Unimplemented for Connect", async () => {
      for (const type of ["application/grpc", "application/grpc+proto", "application/grpc-web+proto"]) {
        const reply = await rawCall(
          server.port,
          "/memoric.v1.MemoryService/NoSuchMethod",
          type,
          frame(Buffer.alloc(0)),
        );
        expect(reply.status, type).toBe(200);
        expect(grpcStatus(reply).code, type).toBe(Code.Unimplemented);
      }
      const res = await fetch(`${server.url}/memoric.v1.MemoryService/NoSuchMethod`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { code: string }).code).toBe("unimplemented");
    });

    it("leave the plain HTTP routes alone", async () => {
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${server.url}/no-such-page`)).status).toBe(404);
    });
  });

  describe("validation reports every invalid field as BadRequest", () => {
    it("Register with three bad fields: three violations, read by grpc-js from grpc-status-details-bin", async () => {
      const reply = await grpcJsCall(
        server.port,
        REGISTER,
        RegisterRequestSchema,
        RegisterResponseSchema,
        create(RegisterRequestSchema, THREE_BAD),
      );
      expect(reply.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(reply.status?.code).toBe(Code.InvalidArgument);
      const any = reply.status!.details.find((d) => d.typeUrl === "type.googleapis.com/google.rpc.BadRequest");
      const badRequest = anyUnpack(any!, BadRequestSchema)!;
      expect(badRequest.fieldViolations.map((v) => v.field).sort()).toEqual(["email", "password", "username"]);
      for (const v of badRequest.fieldViolations) expect(v.description).not.toBe("");
      // The message lists them all too, and never echoes the password.
      for (const field of ["username", "email", "password"]) expect(reply.details).toContain(`${field}: `);
      expect(reply.details).not.toContain(THREE_BAD.password);
    });

    for (const name of ["grpc", "grpc-web", "connect-json", "connect-proto"]) {
      it(`Register with three bad fields: three violations via ConnectError.findDetails (${name})`, async () => {
        const err = await failure(createClient(AuthService, transports[name]!).register(THREE_BAD));
        expect(err?.code).toBe(Code.InvalidArgument);
        expect(fieldsOf(err)).toEqual(["email", "password", "username"]);
      });
    }

    it("CreateMemory reports each bad field, and batch items by index", async () => {
      const memories = createClient(MemoryService, transports["connect-json"]!);
      const err = await failure(memories.createMemory({ content: " ", threadId: "a\u0001b", topic: "t".repeat(300) }));
      expect(err?.code).toBe(Code.InvalidArgument);
      expect(fieldsOf(err)).toEqual(["content", "thread_id", "topic"]);
      const batch = await failure(
        createClient(MemoryService, transports.grpc!).batchCreateMemories({
          memories: [{ content: "fine" }, { content: "" }, { content: "x", agentId: "\u0000" }],
        }),
      );
      expect(fieldsOf(batch)).toEqual(["memories[1].content", "memories[2].agent_id"]);
    });
  });

  describe("denials carry ErrorInfo", () => {
    it("PermissionDenied names the reason, the missing permission and the procedure (connect, grpc-js)", async () => {
      const reader = await userWithRoles(server, ["READ_ONLY"]);
      const err = await failure(createClient(MemoryService, reader.transport).createMemory({ content: "nope" }));
      expect(err?.code).toBe(Code.PermissionDenied);
      const [info] = err!.findDetails(ErrorInfoSchema);
      expect(info).toMatchObject({
        reason: "PERMISSION_MISSING",
        domain: "memoric.dev",
        metadata: { permission: "memories:write", procedure: "memoric.v1.MemoryService/CreateMemory" },
      });
      const md = new grpc.Metadata();
      md.set("authorization", `Bearer ${reader.token}`);
      const raw = await grpcJsCall(
        server.port,
        "/memoric.v1.AuthService/ListUsers",
        RegisterRequestSchema,
        RegisterResponseSchema,
        create(RegisterRequestSchema),
        md,
      );
      expect(raw.code).toBe(grpc.status.PERMISSION_DENIED);
      const any = raw.status!.details.find((d) => d.typeUrl.endsWith("/google.rpc.ErrorInfo"));
      expect(anyUnpack(any!, ErrorInfoSchema)).toMatchObject({
        reason: "PERMISSION_MISSING",
        metadata: { permission: "users:manage" },
      });
    });

    it("Unauthenticated tells a missing credential from a rejected one, and no more", async () => {
      const anon = createClient(AuthService, createGrpcTransport({ baseUrl: server.url }));
      const missing = await failure(anon.getCurrentUser({}));
      expect(missing?.code).toBe(Code.Unauthenticated);
      expect(missing!.findDetails(ErrorInfoSchema)[0]?.reason).toBe("CREDENTIAL_MISSING");
      const wrong = await failure(anon.login({ username: user.username, password: "wrong password entirely" }));
      expect(wrong?.code).toBe(Code.Unauthenticated);
      expect(wrong!.findDetails(ErrorInfoSchema)[0]?.reason).toBe("CREDENTIAL_INVALID");
      const unknown = await failure(
        anon.login({ username: "nobody-here-at-all", password: "wrong password entirely" }),
      );
      expect(unknown!.findDetails(ErrorInfoSchema)).toEqual(wrong!.findDetails(ErrorInfoSchema));
    });
  });
});

describe(`rate limits carry RetryInfo (${testMode})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ MEMORIC_RATE_LIMIT_RPC: "3" });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("ResourceExhausted has RetryInfo equal to retry-after, over gRPC (grpc-js) and Connect", async () => {
    const user = await registerAndLogin(server);
    const connect = createClient(
      AuthService,
      createConnectTransport({
        baseUrl: server.url,
        httpVersion: "1.1",
        interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${user.token}`), next(req))],
      }),
    );
    let err: ConnectError | undefined;
    for (let i = 0; i < 20 && !err; i++) err = await failure(connect.getCurrentUser({}));
    expect(err?.code).toBe(Code.ResourceExhausted);
    const retryAfter = Number(err!.metadata.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    const [retry] = err!.findDetails(RetryInfoSchema);
    expect(Number(retry?.retryDelay?.seconds)).toBe(retryAfter);

    const md = new grpc.Metadata();
    md.set("authorization", `Bearer ${user.token}`);
    const raw = await grpcJsCall(
      server.port,
      "/memoric.v1.AuthService/GetCurrentUser",
      RegisterRequestSchema,
      RegisterResponseSchema,
      create(RegisterRequestSchema),
      md,
    );
    expect(raw.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const any = raw.status!.details.find((d) => d.typeUrl === "type.googleapis.com/google.rpc.RetryInfo");
    expect(Number(anyUnpack(any!, RetryInfoSchema)!.retryDelay!.seconds)).toBeGreaterThanOrEqual(1);
  });
});

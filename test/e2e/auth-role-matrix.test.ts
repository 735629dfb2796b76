/**
 * Spec: every RPC of AuthService, MemoryService and AuditService, called by an ADMIN, a USER, a
 * READ_ONLY user, a narrowly scoped API key and an anonymous caller, answers exactly what its access
 * rule implies. Expectations come from RPCS + decide(), so the test cannot drift from the proto options.
 *
 * Denied ⇒ exactly Unauthenticated (no credential) or PermissionDenied. Allowed ⇒ anything but
 * those (an empty request may well be InvalidArgument/NotFound/Unimplemented: authz let it through).
 */
import { create, toBinary, fromBinary, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditService } from "../../gen/memoric/v1/audit_pb.js";
import { AuthService, ListUsersRequestSchema, ListUsersResponseSchema } from "../../gen/memoric/v1/auth_pb.js";
import { MemoryService } from "../../gen/memoric/v1/memory_pb.js";
import { decide, RPCS, type PrincipalView } from "../../src/domain/access-rules.js";
import { apiKeyPermissions, permissionsOfRoles } from "../../src/domain/permissions.js";
import { admin, bearerTransport, login, registerAndLogin, userWithRoles, type TestUser } from "../support/identity.js";
import { startTestServer, type TestServer } from "../support/server.js";

const SERVICES: readonly DescService[] = [AuthService, MemoryService, AuditService];
const KEY_SCOPES = ["memories:read"];

interface Caller {
  name: string;
  transport: Transport;
  /** What decide() should see for this caller; undefined = anonymous. */
  view: PrincipalView | undefined;
}

let server: TestServer;
const callers: Caller[] = [];
let people: { admin: TestUser; user: TestUser; readOnly: TestUser; key: string };

beforeAll(async () => {
  // Generous anonymous budget: this file is about authorization, not rate limits.
  server = await startTestServer({ MEMORIC_RATE_LIMIT_ANONYMOUS_RPC: "100000", MEMORIC_RATE_LIMIT_RPC: "100000" });
  const [a, u, r] = await Promise.all([admin(server), registerAndLogin(server), userWithRoles(server, ["READ_ONLY"])]);
  const { key } = await u.client(AuthService).createApiKey({ name: "narrow", scopes: KEY_SCOPES });
  people = { admin: a, user: u, readOnly: r, key };
  callers.push(
    { name: "ADMIN", transport: a.transport, view: { type: "user", permissions: permissionsOfRoles(["ADMIN"]) } },
    { name: "USER", transport: u.transport, view: { type: "user", permissions: permissionsOfRoles(["USER"]) } },
    {
      name: "READ_ONLY",
      transport: r.transport,
      view: { type: "user", permissions: permissionsOfRoles(["READ_ONLY"]) },
    },
    {
      name: "API key [memories:read]",
      transport: bearerTransport(server, key),
      view: { type: "api_key", permissions: apiKeyPermissions(KEY_SCOPES, ["USER"]) },
    },
    { name: "anonymous", transport: createGrpcTransport({ baseUrl: server.url }), view: undefined },
  );
});

afterAll(async () => {
  await server?.close();
});

/** Calls any method with an empty request; resolves with the resulting code (undefined = OK). */
async function callEmpty(transport: Transport, service: DescService, method: DescMethod): Promise<Code | undefined> {
  const client = createClient(service, transport) as unknown as Record<string, (req: unknown) => unknown>;
  const call = client[method.localName]!;
  try {
    if (method.methodKind === "unary") {
      await call(create(method.input));
    } else if (method.methodKind === "server_streaming") {
      for await (const _ of call(create(method.input)) as AsyncIterable<unknown>) void _;
    } else {
      throw new Error(`${method.methodKind} is not exercised by this matrix`);
    }
    return undefined;
  } catch (err) {
    return ConnectError.from(err).code;
  }
}

/** Every RPC; Logout ends the caller's own session, so it runs last and the others keep a live credential. */
const EVERY_RPC: { service: DescService; method: DescMethod }[] = SERVICES.flatMap((service) =>
  service.methods.map((method) => ({ service, method })),
).sort((x, y) => Number(x.method.name === "Logout") - Number(y.method.name === "Logout"));

function expectation(
  procedure: string,
  view: PrincipalView | undefined,
): "allowed" | Code.Unauthenticated | Code.PermissionDenied {
  const d = decide(procedure, view);
  if (d.allowed) return "allowed";
  return d.reason === "unauthenticated" ? Code.Unauthenticated : Code.PermissionDenied;
}

describe("role matrix over gRPC (HTTP/2)", () => {
  it("covers every method of every application service with an RPCS entry", () => {
    const all = SERVICES.flatMap((s) => s.methods.map((m) => `${s.typeName}/${m.name}`));
    expect(all.filter((p) => !RPCS[p])).toEqual([]);
  });

  // One test per caller, every method inside: a mismatch names the caller and the RPC.
  for (const name of ["ADMIN", "USER", "READ_ONLY", "API key [memories:read]", "anonymous"]) {
    it(`${name}: every RPC answers what the table implies`, async () => {
      const caller = callers.find((c) => c.name === name)!;
      const mismatches: string[] = [];
      let allowed = 0;
      let denied = 0;
      for (const { service, method } of EVERY_RPC) {
        const procedure = `${service.typeName}/${method.name}`;
        const expected = expectation(procedure, caller.view);
        const code = await callEmpty(caller.transport, service, method);
        const got = code === undefined ? "OK" : Code[code];
        if (expected === "allowed") {
          allowed++;
          const refused = code === Code.Unauthenticated || code === Code.PermissionDenied;
          // Also never Internal or throttled: an empty request is a client mistake, not a crash.
          if (refused || code === Code.Internal || code === Code.ResourceExhausted)
            mismatches.push(`${procedure}: expected allowed, got ${got}`);
        } else {
          denied++;
          if (code !== expected) mismatches.push(`${procedure}: expected ${Code[expected]}, got ${got}`);
        }
      }
      expect(mismatches).toEqual([]);
      // Every RPC was judged, and at least the public ones were let through.
      expect(allowed + denied).toBe(EVERY_RPC.length);
      expect(allowed).toBeGreaterThanOrEqual(3);
    });
  }

  it("READ_ONLY and the read-scoped key cannot write: CreateMemory is PermissionDenied for both", async () => {
    const readOnly = await login(server, people.readOnly); // the matrix ended the first session
    const writers = [
      { name: "READ_ONLY", transport: readOnly.transport },
      { name: "API key", transport: bearerTransport(server, people.key) },
    ];
    for (const c of writers) {
      const code = await callEmpty(c.transport, MemoryService, MemoryService.method.createMemory);
      expect(code, c.name).toBe(Code.PermissionDenied);
    }
  });
});

describe("the same decisions over other transports", () => {
  // Fresh sessions: the matrix above ended the first ones with Logout.
  let tokens: { admin: string; user: string; readOnly: string; key: string };
  beforeAll(async () => {
    const [a, u, r] = await Promise.all([
      login(server, people.admin),
      login(server, people.user),
      login(server, people.readOnly),
    ]);
    tokens = { admin: a.token, user: u.token, readOnly: r.token, key: people.key };
  });

  async function connectJson(procedure: string, token: string | undefined, body: unknown = {}) {
    const res = await fetch(`${server.url}/${procedure}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as { code?: string };
    return { status: res.status, code: json.code };
  }

  it("HTTP/1.1 Connect JSON: anonymous → 401 unauthenticated, USER → 403 permission_denied, ADMIN → 200", async () => {
    const procedure = "memoric.v1.AuthService/ListUsers";
    expect(await connectJson(procedure, undefined)).toEqual({ status: 401, code: "unauthenticated" });
    expect(await connectJson(procedure, tokens.user)).toEqual({ status: 403, code: "permission_denied" });
    expect((await connectJson(procedure, tokens.admin)).status).toBe(200);
  });

  it("HTTP/1.1 Connect JSON: READ_ONLY cannot write, the read-scoped key cannot manage keys or audit", async () => {
    expect((await connectJson("memoric.v1.MemoryService/CreateMemory", tokens.readOnly, { content: "x" })).code).toBe(
      "permission_denied",
    );
    expect((await connectJson("memoric.v1.AuthService/ListApiKeys", tokens.key)).code).toBe("permission_denied");
    expect((await connectJson("memoric.v1.AuditService/QueryAuditLogs", tokens.key)).code).toBe("permission_denied");
    expect((await connectJson("memoric.v1.AuditService/QueryAuditLogs", tokens.user)).code).toBe("permission_denied");
  });

  it("grpc-js reference client: USER → PERMISSION_DENIED, anonymous → UNAUTHENTICATED, ADMIN → OK", async () => {
    const client = new grpc.Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    const listUsers = (token: string | undefined) =>
      new Promise<grpc.status>((resolve) => {
        const md = new grpc.Metadata();
        if (token) md.set("authorization", `Bearer ${token}`);
        client.makeUnaryRequest(
          "/memoric.v1.AuthService/ListUsers",
          (m: object) => Buffer.from(toBinary(ListUsersRequestSchema, create(ListUsersRequestSchema, m))),
          (b: Buffer) => fromBinary(ListUsersResponseSchema, b),
          {},
          md,
          (err) => resolve(err ? err.code : grpc.status.OK),
        );
      });
    try {
      expect(await listUsers(tokens.user)).toBe(grpc.status.PERMISSION_DENIED);
      expect(await listUsers(undefined)).toBe(grpc.status.UNAUTHENTICATED);
      expect(await listUsers(tokens.admin)).toBe(grpc.status.OK);
    } finally {
      client.close();
    }
  });
});

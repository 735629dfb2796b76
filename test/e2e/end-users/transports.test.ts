/**
 * Spec: the end-user paths work the same for every kind of client — grpc-js (loading the .proto
 * sources), connect-node over Connect (HTTP/1.1, JSON) and a browser's plain fetch with a delegated
 * token: a backend's API key writes for an end user and issues a token; the token writes and reads its
 * end user's memories; naming another end user is PermissionDenied, another's memory id NotFound, and
 * EndUserService is out of the token's reach.
 */
import { Code } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EndUserService } from "../../../gen/memoric/v1/end_users_pb.js";
import { MemoryService } from "../../../gen/memoric/v1/memory_pb.js";
import { testMode } from "../../support/database.js";
import { caller, codeOf, serviceAccount, type ServiceAccount } from "../../support/end-users.js";
import { admin } from "../../support/identity.js";
import { startTestServer, type TestServer } from "../../support/server.js";
import { grpcMemoricClient } from "../grpc-clients.js";

let server: TestServer;
let backend: ServiceAccount;
let bMemoryId: string;
const closers: (() => void)[] = [];

beforeAll(async () => {
  server = await startTestServer({ MEMORIC_RATE_LIMIT_RPC: "100000" });
  backend = await serviceAccount(server, await admin(server));
  const { memory } = await backend.memories.createMemory({ endUserId: "bee", content: "bee's private plan" });
  bMemoryId = memory!.id;
});
afterAll(async () => {
  for (const close of closers) close();
  await server?.close();
});

const grpcCode = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: grpc.ServiceError) => e.code,
  );

describe(`grpc-js (${testMode})`, () => {
  it("API key creates, writes and issues; the token reads and writes its own, and is denied on B", async () => {
    const open = (file: string, service: string, credential: string) => {
      const c = grpcMemoricClient(server.port, file, service, credential);
      closers.push(c.close);
      return c;
    };
    const endUsers = open("end_users.proto", "EndUserService", backend.credential);
    const created = await endUsers.call("createEndUser", { endUserId: "grpc-a" });
    expect(created).toMatchObject({ created: true, endUser: { endUserId: "grpc-a", memoryCount: "0" } });
    const asKey = open("memory.proto", "MemoryService", backend.credential);
    const written = await asKey.call("createMemory", { endUserId: "grpc-a", content: "written by the backend" });
    expect(written.memory).toMatchObject({ endUserId: "grpc-a", content: "written by the backend" });

    const issued = await endUsers.call("issueEndUserToken", { endUserId: "grpc-a", ttl: { seconds: 600 } });
    expect(issued.expiresIn).toBe(600);
    const token = open("memory.proto", "MemoryService", issued.token as string);
    const own = await token.call("createMemory", { content: "written with the token" });
    expect(own.memory).toMatchObject({ endUserId: "grpc-a" });
    const listed = await token.call("listMemories", {});
    expect((listed.memories as { content: string }[]).map((m) => m.content).sort()).toEqual([
      "written by the backend",
      "written with the token",
    ]);
    const exported = await token.stream("exportMemories", {});
    expect(exported).toHaveLength(2);

    expect(await grpcCode(token.call("getMemory", { id: bMemoryId }))).toBe(grpc.status.NOT_FOUND);
    expect(await grpcCode(token.call("getMemory", { id: bMemoryId, endUserId: "bee" }))).toBe(
      grpc.status.PERMISSION_DENIED,
    );
    expect(await grpcCode(token.call("listMemories", { endUserId: "bee" }))).toBe(grpc.status.PERMISSION_DENIED);
    expect(await grpcCode(token.stream("exportMemories", { endUserId: "bee" }))).toBe(grpc.status.PERMISSION_DENIED);
    const tokenOnEndUsers = open("end_users.proto", "EndUserService", issued.token as string);
    expect(await grpcCode(tokenOnEndUsers.call("listEndUsers", {}))).toBe(grpc.status.PERMISSION_DENIED);
  });
});

describe(`Connect over HTTP/1.1 (${testMode})`, () => {
  it("the same paths with connect-node's Connect transport", async () => {
    const endUsers = backend.connect(EndUserService);
    const written = await backend.connect(MemoryService).createMemory({ endUserId: "connect-a", content: "from key" });
    expect(written.memory!.endUserId).toBe("connect-a");
    const { token } = await endUsers.issueEndUserToken({ endUserId: "connect-a" });
    const asToken = caller(server, token);
    const mem = asToken.connect(MemoryService);
    const own = await mem.createMemory({ content: "from token" });
    expect(own.memory!.endUserId).toBe("connect-a");
    expect((await mem.getMemory({ id: written.memory!.id })).memory!.content).toBe("from key");
    expect((await mem.searchMemories({ query: "from" })).results).toHaveLength(2);
    expect(await codeOf(mem.getMemory({ id: bMemoryId }))).toBe(Code.NotFound);
    expect(await codeOf(mem.searchMemories({ endUserId: "bee", query: "plan" }))).toBe(Code.PermissionDenied);
    expect(await codeOf(asToken.connect(EndUserService).getEndUser({ endUserId: "connect-a" }))).toBe(
      Code.PermissionDenied,
    );
  });

  it("a browser's fetch with the delegated token: JSON in, JSON out, errors as Connect JSON", async () => {
    const { token } = await backend.endUsers.issueEndUserToken({ endUserId: "browser-a" });
    const post = (method: string, body: object) =>
      fetch(`${server.url}/memoric.v1.MemoryService/${method}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
    const created = await post("CreateMemory", { content: "typed in a browser" });
    expect(created.status).toBe(200);
    expect(await created.json()).toMatchObject({ memory: { content: "typed in a browser", endUserId: "browser-a" } });
    const denied = await post("ListMemories", { endUserId: "bee" });
    expect(denied.status).toBe(403);
    const body = (await denied.json()) as { code: string; message: string };
    expect(body.code).toBe("permission_denied");
    expect(body.message).not.toContain("private plan");
  });
});

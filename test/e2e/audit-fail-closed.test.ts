/**
 * Spec: fail closed, end to end. With every audit insert forced to fail (audit-hooks.ts: a raising
 * BEFORE INSERT trigger created as superuser), CreateMemory, UpdateMemory, DeleteMemory and
 * ChangePassword answer Unavailable and change nothing, and reads are refused (Unavailable). Once
 * audit inserts work again, so does everything else.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AuthService } from "../../gen/memoric/v1/auth_pb.js";
import { MemoryService } from "../../gen/memoric/v1/memory_pb.js";
import { asOwner, login, registerAndLogin, TEST_PASSWORD, type TestUser } from "../support/identity.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { allowAuditInserts, forceAuditInsertFailure } from "../store/audit-hooks.js";

let server: TestServer;
let user: TestUser;
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e).code,
  );

beforeAll(async () => {
  server = await startTestServer({ MEMORIC_RATE_LIMIT_ANONYMOUS_RPC: "100000", MEMORIC_RATE_LIMIT_RPC: "100000" });
  user = await registerAndLogin(server);
});
afterAll(async () => {
  if (server) await asOwner(server, allowAuditInserts);
  await server?.close();
});

it("mutations answer Unavailable and change nothing while the audit log cannot be written", async () => {
  const memories = user.client(MemoryService);
  const { memory } = await memories.createMemory({ content: "original content" });
  const id = memory!.id;
  const count = async () => (await memories.listMemories({ pageSize: 100 })).memories.length;
  expect(await count()).toBe(1);

  await asOwner(server, forceAuditInsertFailure);
  try {
    expect(await codeOf(memories.createMemory({ content: "should not exist" }))).toBe(Code.Unavailable);
    // The one-statement create (insert, duplicate look-up, supersession) with its row pipelined behind.
    expect(await codeOf(memories.createMemory({ content: "original content", supersedes: [id] }))).toBe(
      Code.Unavailable,
    );
    expect(await codeOf(memories.createMemory({ content: "deduplicated", dedupe: true }))).toBe(Code.Unavailable);
    expect(await codeOf(memories.batchCreateMemories({ memories: [{ content: "a" }, { content: "b" }] }))).toBe(
      Code.Unavailable,
    );
    expect(await codeOf(memories.updateMemory({ id, updateMask: { paths: ["content"] }, content: "changed" }))).toBe(
      Code.Unavailable,
    );
    expect(await codeOf(memories.deleteMemory({ id }))).toBe(Code.Unavailable);
    expect(
      await codeOf(
        user
          .client(AuthService)
          .changePassword({ oldPassword: TEST_PASSWORD, newPassword: "a different passphrase 99" }),
      ),
    ).toBe(Code.Unavailable);
    // Reads fail closed too: no read is answered without its committed audit row (DESIGN.md §7).
    expect(await codeOf(memories.getMemory({ id }))).toBe(Code.Unavailable);
    expect(server.logs.some((l) => l.includes("audit write failed"))).toBe(true);
  } finally {
    await asOwner(server, allowAuditInserts);
  }

  expect(await count()).toBe(1);
  expect((await memories.getMemory({ id })).memory).toMatchObject({ content: "original content", supersededBy: "" });
  await expect(login(server, user)).resolves.toBeDefined(); // the old password still works
  // ...and with the audit log back, mutations work again.
  await memories.updateMemory({ id, updateMask: { paths: ["content"] }, content: "changed" });
  expect((await memories.getMemory({ id })).memory?.content).toBe("changed");
});

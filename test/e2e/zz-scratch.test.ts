import { it } from "vitest";
import { MemoryService } from "../../gen/memoric/v1/memory_pb.js";
import { AuditService } from "../../gen/memoric/v1/audit_pb.js";
import { admin } from "../support/identity.js";
import { startTestServer } from "../support/server.js";
it("x", async () => {
  const server = await startTestServer();
  const a = await admin(server);
  try { await a.client(MemoryService).runPolicies({}); } catch (e) { console.log(String(e)); }
  try { await a.client(AuditService).queryAuditLogs({}); } catch (e) { console.log(String(e)); }
  console.log(server.logs.filter((l) => l.includes("unhandled")).join("\n").slice(0, 3000));
  await server.close();
});

import { describe, expect, it } from "vitest";
import { AuditService } from "../../gen/memoric/v1/audit_pb.js";
import { mergeRoutes } from "../../src/services/routes.js";

describe("mergeRoutes", () => {
  it("refuses at start-up a service with an RPC left unimplemented or implemented twice", () => {
    const handler = async () => ({});
    expect(() => mergeRoutes(AuditService, [{ listEventTypes: handler }])).toThrow(/no handler for .*QueryAuditLogs/);
    const twice = [{ listEventTypes: handler }, { listEventTypes: handler }];
    expect(() => mergeRoutes(AuditService, twice)).toThrow(/implemented twice/);
  });
});

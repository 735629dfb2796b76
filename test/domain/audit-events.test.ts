import { describe, expect, it } from "vitest";
import { PrincipalType, Severity } from "../../gen/memoric/v1/audit_pb.js";
import {
  AUDIT_EVENTS,
  AUDIT_EVENT_TYPES,
  PRINCIPAL_TYPES,
  SEVERITIES,
  describeEventTypes,
  describeSeverities,
  isAuditEventType,
  isSeverityName,
  principalTypeFromProto,
  principalTypeToProto,
  severityFromProto,
  severityRank,
  severityToProto,
} from "../../src/domain/audit-events.js";

const EXPECTED = [
  "auth.end_user_token.issued",
  "auth.end_user_token.revoked",
  "end_user.created",
  "end_user.retrieved",
  "end_user.deleted",
  "auth.login.success",
  "auth.login.failed",
  "auth.logout",
  "auth.token.created",
  "auth.token.refreshed",
  "auth.token.expired",
  "auth.token.invalid",
  "auth.token.reuse_detected",
  "auth.apikey.created",
  "auth.apikey.listed",
  "auth.apikey.revoked",
  "user.retrieved",
  "user.created",
  "user.updated",
  "user.deleted",
  "user.password.changed",
  "user.activated",
  "user.deactivated",
  "user.roles.changed",
  "memory.created",
  "memory.retrieved",
  "memory.searched",
  "memory.updated",
  "memory.deleted",
  "memory.exported",
  "cluster.retrieved",
  "cluster.rebuilt",
  "policy.executed",
  "policy.failed",
  "authz.access.granted",
  "authz.access.denied",
  "system.startup",
  "system.shutdown",
  "system.error",
  "system.key.rotated",
  "system.index.rebuilt",
  "security.rate_limit.exceeded",
  "security.account.locked",
  "security.breach.attempt",
  "security.suspicious.activity",
  "audit.queried",
  "audit.verified",
];

describe("audit event table", () => {
  it("contains exactly the agreed event names", () => {
    expect([...AUDIT_EVENT_TYPES].sort()).toEqual([...EXPECTED].sort());
  });

  it("gives every event its first dotted segment as category, a known severity and a description", () => {
    for (const name of AUDIT_EVENT_TYPES) {
      const spec = AUDIT_EVENTS[name];
      expect(spec.category).toBe(name.split(".")[0]);
      expect(isSeverityName(spec.defaultSeverity)).toBe(true);
      expect(spec.description.length).toBeGreaterThan(0);
    }
  });

  it("treats refresh-token reuse and breach attempts as critical", () => {
    expect(AUDIT_EVENTS["auth.token.reuse_detected"].defaultSeverity).toBe("critical");
    expect(AUDIT_EVENTS["security.breach.attempt"].defaultSeverity).toBe("critical");
  });

  it("recognises only table names as event types", () => {
    expect(isAuditEventType("memory.created")).toBe(true);
    expect(isAuditEventType("memory.nuked")).toBe(false);
    expect(isAuditEventType("toString")).toBe(false);
  });

  it("describes event types for ListEventTypes with proto severities", () => {
    const d = describeEventTypes();
    expect(d).toHaveLength(EXPECTED.length);
    expect(d.find((e) => e.name === "authz.access.denied")).toMatchObject({
      category: "authz",
      defaultSeverity: Severity.WARNING,
    });
  });
});

describe("severities", () => {
  it("are ranked debug < info < warning < error < critical", () => {
    expect(SEVERITIES.map(severityRank)).toEqual([0, 1, 2, 3, 4]);
    expect(severityRank("critical")).toBeGreaterThan(severityRank("warning"));
  });

  it("map to and from the proto enum without loss", () => {
    expect(severityToProto("debug")).toBe(Severity.DEBUG);
    expect(severityToProto("critical")).toBe(Severity.CRITICAL);
    for (const s of SEVERITIES) expect(severityFromProto(severityToProto(s))).toBe(s);
    expect(describeSeverities().map((l) => l.severity)).toEqual([1, 2, 3, 4, 5]);
  });

  it("map UNSPECIFIED and unknown proto values to undefined", () => {
    expect(severityFromProto(Severity.UNSPECIFIED)).toBeUndefined();
    expect(severityFromProto(99 as Severity)).toBeUndefined();
  });
});

describe("principal types", () => {
  it("map to and from the proto enum", () => {
    expect(principalTypeToProto("api_key")).toBe(PrincipalType.API_KEY);
    for (const p of PRINCIPAL_TYPES) expect(principalTypeFromProto(principalTypeToProto(p))).toBe(p);
    expect(principalTypeFromProto(PrincipalType.UNSPECIFIED)).toBeUndefined();
  });
});

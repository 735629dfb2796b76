/**
 * Spec: every RPC's access rule and audit event come from its `(memoric.v1.access)` proto option
 * (the vendored health and reflection services are public and unaudited); the options name only
 * permissions and events the TypeScript tables know; decide() grants exactly what the rule says and
 * denies anything without a rule, even to an admin.
 */
import { create, getOption, hasOption, type DescService } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { AuditService } from "../../gen/memoric/v1/audit_pb.js";
import { AuthService } from "../../gen/memoric/v1/auth_pb.js";
import { EndUserService } from "../../gen/memoric/v1/end_users_pb.js";
import { MemoryService } from "../../gen/memoric/v1/memory_pb.js";
import { access, AccessClass, AccessRuleSchema } from "../../gen/memoric/v1/options_pb.js";
import { decide, policiesFromOptions, policyOfRule, RPCS, type PrincipalView } from "../../src/domain/access-rules.js";
import { isAuditEventType } from "../../src/domain/audit-events.js";
import {
  isPermission,
  PERMISSIONS,
  permissionsOfRoles,
  ROLE_PERMISSIONS,
  ROLES,
} from "../../src/domain/permissions.js";
import { authServiceWith } from "../support/descriptors.js";

const OURS: readonly DescService[] = [AuthService, MemoryService, AuditService, EndUserService];
const STANDARD: readonly DescService[] = [Health, ReflectionV1, ReflectionV1alpha];
/** Every service the server registers (src/server/app.ts + reflection). */
const SERVED: readonly DescService[] = [...OURS, ...STANDARD];
const nameOf = (s: DescService, m: { name: string }) => `${s.typeName}/${m.name}`;
const procedures = SERVED.flatMap((s) => s.methods.map((m) => nameOf(s, m)));

const user = (roles: string[]): PrincipalView => ({ type: "user", permissions: permissionsOfRoles(roles) });

describe("the (memoric.v1.access) options", () => {
  it("are present on every method of AuthService, MemoryService and AuditService", () => {
    const missing = OURS.flatMap((s) => s.methods.filter((m) => !hasOption(m, access)).map((m) => nameOf(s, m)));
    expect(missing).toEqual([]);
    expect(OURS.flatMap((s) => s.methods).length).toBeGreaterThan(30);
  });

  it("name only known permissions and events, and a permission exactly when the class needs one", () => {
    for (const s of OURS) {
      for (const m of s.methods) {
        const rule = getOption(m, access);
        const where = nameOf(s, m);
        expect(isAuditEventType(rule.auditEvent), `${where} event "${rule.auditEvent}"`).toBe(true);
        expect(rule.resource, where).not.toBe("");
        expect(rule.accessClass, where).not.toBe(AccessClass.UNSPECIFIED);
        if (rule.accessClass === AccessClass.PERMISSION) expect(isPermission(rule.permission), where).toBe(true);
        else expect(rule.permission, where).toBe("");
      }
    }
  });
});

describe("the served policies (RPCS)", () => {
  it("have an entry for every method of every served service descriptor", () => {
    expect(procedures.filter((p) => RPCS[p] === undefined)).toEqual([]);
  });

  it("name no method that does not exist", () => {
    const known = new Set(procedures);
    expect(Object.keys(RPCS).filter((p) => !known.has(p))).toEqual([]);
  });

  it("are what the options say for our services", () => {
    for (const s of OURS) {
      for (const m of s.methods) {
        const rule = getOption(m, access);
        const policy = RPCS[nameOf(s, m)];
        expect(policy?.event).toBe(rule.auditEvent);
        expect(policy?.resource).toBe(rule.resource);
        if (rule.accessClass === AccessClass.PERMISSION) expect(policy?.access).toBe(rule.permission);
      }
    }
  });

  it("leave health and reflection public and unaudited", () => {
    for (const s of STANDARD) for (const m of s.methods) expect(RPCS[nameOf(s, m)]).toEqual({ access: "public" });
  });

  it("make exactly the DESIGN §3 list public: Register, Login, Refresh, health, reflection", () => {
    const publicRpcs = Object.entries(RPCS)
      .filter(([, p]) => p.access === "public")
      .map(([name]) => name)
      .sort();
    const expected = [
      ...["Register", "Login", "Refresh"].map((m) => `memoric.v1.AuthService/${m}`),
      ...STANDARD.flatMap((s) => s.methods.map((m) => nameOf(s, m))),
    ].sort();
    expect(publicRpcs).toEqual(expected);
  });

  it("keep admin-only permissions on the admin RPCs (users, audit, policies)", () => {
    for (const m of ["ListUsers", "SetUserRoles", "SetUserActive", "DeleteUser"]) {
      expect(RPCS[`memoric.v1.AuthService/${m}`]?.access).toBe("users:manage");
    }
    for (const m of AuditService.methods) expect(RPCS[nameOf(AuditService, m)]?.access).toBe("audit:read");
    expect(RPCS["memoric.v1.MemoryService/RunPolicies"]?.access).toBe("policies:execute");
  });

  it("let no API key end sessions or change the password", () => {
    expect(RPCS["memoric.v1.AuthService/Logout"]?.access).toBe("user-session");
    expect(RPCS["memoric.v1.AuthService/ChangePassword"]?.access).toBe("user-session");
  });
});

describe("reading the options", () => {
  const rule = (init: Parameters<typeof create<typeof AccessRuleSchema>>[1]) =>
    create(AccessRuleSchema, { auditEvent: "memory.created", resource: "memory", ...init });

  it("maps each access class to its policy", () => {
    const cases = [
      [AccessClass.PUBLIC, "public"],
      [AccessClass.AUTHENTICATED, "authenticated"],
      [AccessClass.USER_SESSION, "user-session"],
    ] as const;
    for (const [accessClass, expected] of cases) {
      const policy = policyOfRule("p", rule({ accessClass }));
      expect(policy).toEqual({ access: expected, event: "memory.created", resource: "memory" });
    }
    const perm = rule({ accessClass: AccessClass.PERMISSION, permission: "memories:write" });
    expect(policyOfRule("p", perm).access).toBe("memories:write");
  });

  it("refuses an incomplete option or one naming what does not exist (the server does not start)", () => {
    const bad = [
      rule({}), // no access class
      rule({ accessClass: AccessClass.PERMISSION }), // no permission
      rule({ accessClass: AccessClass.PERMISSION, permission: "memories:everything" }),
      rule({ accessClass: AccessClass.PUBLIC, permission: "memories:read" }), // ambiguous
      rule({ accessClass: AccessClass.PUBLIC, auditEvent: "memory.teleported" }),
      rule({ accessClass: AccessClass.PUBLIC, auditEvent: "" }),
      rule({ accessClass: AccessClass.PUBLIC, resource: "" }),
    ];
    const named = /memoric\.v1\.X\/Y: option \(memoric\.v1\.access\)/;
    for (const r of bad) expect(() => policyOfRule("memoric.v1.X/Y", r)).toThrow(named);
  });

  it("leaves out a method whose option was removed, so decide() denies it even to an admin", () => {
    const stripped = authServiceWith({ Register: undefined });
    const policies = policiesFromOptions([stripped]);
    expect(Object.keys(policies)).not.toContain("memoric.v1.AuthService/Register");
    expect(policies["memoric.v1.AuthService/Login"]?.access).toBe("public");
    const register = "memoric.v1.AuthService/Register";
    expect(decide(register, undefined, policies)).toEqual({ allowed: false, reason: "unlisted" });
    expect(decide(register, user(["ADMIN"]), policies)).toEqual({ allowed: false, reason: "unlisted" });
  });
});

describe("decide()", () => {
  it("fails closed for an unlisted procedure, even for an admin", () => {
    for (const procedure of ["memoric.v1.AuthService/BecomeAdmin", "memoric.v1.Nope/Login", "", "AuthService/Login"]) {
      expect(decide(procedure, user(["ADMIN"]))).toEqual({ allowed: false, reason: "unlisted" });
      expect(decide(procedure, undefined)).toEqual({ allowed: false, reason: "unlisted" });
    }
  });

  it("is not fooled by prototype keys", () => {
    for (const procedure of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
      expect(decide(procedure, user(["ADMIN"])).allowed).toBe(false);
      expect(decide(procedure, user(["ADMIN"]), { ...RPCS })).toEqual({ allowed: false, reason: "unlisted" });
    }
  });

  it("lets anyone call public RPCs and nobody anonymous call the rest", () => {
    for (const procedure of procedures) {
      const d = decide(procedure, undefined);
      if (RPCS[procedure]!.access === "public") expect(d.allowed).toBe(true);
      else expect(d, procedure).toEqual({ allowed: false, reason: "unauthenticated" });
    }
  });

  it("grants a permission RPC exactly when the principal holds the permission", () => {
    for (const procedure of procedures) {
      const required = RPCS[procedure]!.access;
      if (!isPermission(required)) continue;
      for (const role of ROLES) {
        const allowed = ROLE_PERMISSIONS[role].includes(required);
        expect(decide(procedure, user([role])).allowed, `${role} ${procedure}`).toBe(allowed);
      }
      expect(decide(procedure, { type: "api_key", permissions: new Set([required]) }).allowed).toBe(true);
      const allBut = new Set(PERMISSIONS.filter((p) => p !== required));
      const forbidden = { allowed: false, reason: "forbidden" };
      expect(decide(procedure, { type: "api_key", permissions: allBut })).toEqual(forbidden);
    }
  });

  it("denies user-session RPCs to API keys whatever their scope", () => {
    const everything: PrincipalView = { type: "api_key", permissions: new Set(PERMISSIONS) };
    const forbidden = { allowed: false, reason: "forbidden" };
    expect(decide("memoric.v1.AuthService/Logout", everything)).toEqual(forbidden);
    expect(decide("memoric.v1.AuthService/ChangePassword", everything)).toEqual(forbidden);
    expect(decide("memoric.v1.AuthService/Logout", { type: "user", permissions: new Set() }).allowed).toBe(true);
  });
});

import type { DescService } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { AuditService } from "../../gen/memoric/v1/audit_pb.js";
import { AuthService } from "../../gen/memoric/v1/auth_pb.js";
import { MemoryService } from "../../gen/memoric/v1/memory_pb.js";
import {
  apiKeyPermissions,
  decide,
  isPermission,
  PERMISSIONS,
  permissionsOfRoles,
  ROLE_PERMISSIONS,
  ROLES,
  RPCS,
  type Permission,
  type PrincipalView,
} from "../../src/domain/permissions.js";

/** Every service the server registers (src/server/app.ts + reflection). */
const SERVED: readonly DescService[] = [AuthService, MemoryService, AuditService, Health, ReflectionV1, ReflectionV1alpha];
const procedures = SERVED.flatMap((s) => s.methods.map((m) => `${s.typeName}/${m.name}`));

const user = (roles: string[]): PrincipalView => ({ type: "user", permissions: permissionsOfRoles(roles) });

/** Every subset of a small list (2^n). */
function subsets<T>(items: readonly T[]): T[][] {
  return items.reduce<T[][]>((acc, item) => acc.concat(acc.map((s) => [...s, item])), [[]]);
}

describe("the RPCS table", () => {
  it("has an entry for every method of every served service descriptor", () => {
    const missing = procedures.filter((p) => RPCS[p] === undefined);
    expect(missing).toEqual([]);
    expect(procedures.length).toBeGreaterThan(30);
  });

  it("names no method that does not exist", () => {
    const known = new Set(procedures);
    expect(Object.keys(RPCS).filter((p) => !known.has(p))).toEqual([]);
  });

  it("uses only known access rules", () => {
    for (const [procedure, { access }] of Object.entries(RPCS)) {
      const ok = access === "public" || access === "authenticated" || access === "user-session" || isPermission(access);
      expect(ok, procedure).toBe(true);
    }
  });

  it("makes exactly the DESIGN §3 list public: Register, Login, Refresh, health, reflection", () => {
    const publicRpcs = Object.entries(RPCS)
      .filter(([, p]) => p.access === "public")
      .map(([name]) => name)
      .sort();
    const expected = [
      ...["Register", "Login", "Refresh"].map((m) => `memoric.v1.AuthService/${m}`),
      ...Health.methods.map((m) => `${Health.typeName}/${m.name}`),
      ...[ReflectionV1, ReflectionV1alpha].flatMap((s) => s.methods.map((m) => `${s.typeName}/${m.name}`)),
    ].sort();
    expect(publicRpcs).toEqual(expected);
  });

  it("keeps admin-only permissions on the admin RPCs (users, audit, policies)", () => {
    for (const m of ["ListUsers", "SetUserRoles", "SetUserActive", "DeleteUser"]) {
      expect(RPCS[`memoric.v1.AuthService/${m}`]?.access).toBe("users:manage");
    }
    for (const m of AuditService.methods) expect(RPCS[`${AuditService.typeName}/${m.name}`]?.access).toBe("audit:read");
    expect(RPCS["memoric.v1.MemoryService/RunPolicies"]?.access).toBe("policies:execute");
  });

  it("lets no API key end sessions or change the password", () => {
    expect(RPCS["memoric.v1.AuthService/Logout"]?.access).toBe("user-session");
    expect(RPCS["memoric.v1.AuthService/ChangePassword"]?.access).toBe("user-session");
  });
});

describe("roles ⇒ permissions (DESIGN §3)", () => {
  it("ADMIN has every permission", () => {
    expect([...permissionsOfRoles(["ADMIN"])].sort()).toEqual([...PERMISSIONS].sort());
  });

  it("USER has memories read/write/delete, clusters read/write and keys:manage, nothing else", () => {
    expect([...permissionsOfRoles(["USER"])].sort()).toEqual(
      ["clusters:read", "clusters:write", "keys:manage", "memories:delete", "memories:read", "memories:write"],
    );
  });

  it("READ_ONLY has memories:read and clusters:read only", () => {
    expect([...permissionsOfRoles(["READ_ONLY"])].sort()).toEqual(["clusters:read", "memories:read"]);
  });

  it("keeps policies:execute, audit:read and users:manage admin-only", () => {
    for (const role of ROLES.filter((r) => r !== "ADMIN")) {
      for (const p of ["policies:execute", "audit:read", "users:manage"] as const) expect(ROLE_PERMISSIONS[role]).not.toContain(p);
    }
  });

  it("ignores unknown role names (no implicit grant)", () => {
    expect(permissionsOfRoles(["SUPERUSER", "admin", "ROLE_ADMIN", ""]).size).toBe(0);
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
      const access = RPCS[procedure]!.access;
      if (!isPermission(access)) continue;
      for (const role of ROLES) {
        expect(decide(procedure, user([role])).allowed, `${role} ${procedure}`).toBe(ROLE_PERMISSIONS[role].includes(access));
      }
      expect(decide(procedure, { type: "api_key", permissions: new Set([access]) }).allowed).toBe(true);
      expect(decide(procedure, { type: "api_key", permissions: new Set(PERMISSIONS.filter((p) => p !== access)) })).toEqual({ allowed: false, reason: "forbidden" });
    }
  });

  it("denies user-session RPCs to API keys whatever their scope", () => {
    const everything: PrincipalView = { type: "api_key", permissions: new Set(PERMISSIONS) };
    expect(decide("memoric.v1.AuthService/Logout", everything)).toEqual({ allowed: false, reason: "forbidden" });
    expect(decide("memoric.v1.AuthService/ChangePassword", everything)).toEqual({ allowed: false, reason: "forbidden" });
    expect(decide("memoric.v1.AuthService/Logout", { type: "user", permissions: new Set() }).allowed).toBe(true);
  });
});

describe("apiKeyPermissions()", () => {
  const roleSets = subsets(ROLES);
  const scopeSets = subsets(PERMISSIONS);

  it("never exceeds the owner's current permissions, for every role set and every scope subset", () => {
    for (const roles of roleSets) {
      const owner = permissionsOfRoles(roles);
      for (const scopes of scopeSets) {
        const granted = apiKeyPermissions(scopes, roles);
        for (const p of granted) expect(owner.has(p), `${roles}:${scopes} → ${p}`).toBe(true);
        // …and never exceeds its own scope either.
        if (scopes.length > 0) for (const p of granted) expect(scopes).toContain(p);
      }
    }
  });

  it("grants exactly scope ∩ owner", () => {
    const granted = apiKeyPermissions(["memories:read", "users:manage", "audit:read"], ["USER"]);
    expect([...granted]).toEqual(["memories:read"]);
  });

  it("drops unknown scopes instead of widening to the owner's full set", () => {
    expect(apiKeyPermissions(["bogus"], ["ADMIN"]).size).toBe(0);
    expect(apiKeyPermissions(["ADMIN", "*"], ["ADMIN"]).size).toBe(0);
  });

  it("follows a downgrade of the owner (a READ_ONLY owner's write-scoped key can no longer write)", () => {
    const scopes: Permission[] = ["memories:read", "memories:write"];
    expect([...apiKeyPermissions(scopes, ["USER"])].sort()).toEqual(scopes);
    expect([...apiKeyPermissions(scopes, ["READ_ONLY"])]).toEqual(["memories:read"]);
    expect(apiKeyPermissions(scopes, []).size).toBe(0);
  });

  it("with an empty scope means the owner's permissions, no more", () => {
    expect([...apiKeyPermissions([], ["READ_ONLY"])].sort()).toEqual(["clusters:read", "memories:read"]);
  });
});

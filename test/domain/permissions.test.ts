/** Spec: roles grant the DESIGN §3 permissions, and an API key never carries more than its owner holds now. */
import { describe, expect, it } from "vitest";
import {
  apiKeyPermissions,
  PERMISSIONS,
  permissionsOfRoles,
  ROLE_PERMISSIONS,
  ROLES,
  type Permission,
} from "../../src/domain/permissions.js";

/** Every subset of a small list (2^n). */
function subsets<T>(items: readonly T[]): T[][] {
  return items.reduce<T[][]>((acc, item) => acc.concat(acc.map((s) => [...s, item])), [[]]);
}

describe("roles ⇒ permissions (DESIGN §3)", () => {
  it("ADMIN has every permission", () => {
    expect([...permissionsOfRoles(["ADMIN"])].sort()).toEqual([...PERMISSIONS].sort());
  });

  it("USER has memories read/write/delete, clusters read/write, its end users and keys:manage, nothing else", () => {
    expect([...permissionsOfRoles(["USER"])].sort()).toEqual([
      "clusters:read",
      "clusters:write",
      "end_users:delegate",
      "end_users:manage",
      "end_users:read",
      "keys:manage",
      "memories:delete",
      "memories:read",
      "memories:write",
    ]);
  });

  it("READ_ONLY has memories:read, clusters:read and end_users:read only", () => {
    expect([...permissionsOfRoles(["READ_ONLY"])].sort()).toEqual(["clusters:read", "end_users:read", "memories:read"]);
  });

  it("keeps policies:execute, audit:read and users:manage admin-only", () => {
    for (const role of ROLES.filter((r) => r !== "ADMIN")) {
      for (const p of ["policies:execute", "audit:read", "users:manage"] as const)
        expect(ROLE_PERMISSIONS[role]).not.toContain(p);
    }
  });

  it("ignores unknown role names (no implicit grant)", () => {
    expect(permissionsOfRoles(["SUPERUSER", "admin", "ROLE_ADMIN", ""]).size).toBe(0);
  });
});

describe("apiKeyPermissions()", () => {
  const roleSets = subsets(ROLES);
  const scopeSets = subsets(PERMISSIONS);

  it("never exceeds the owner's current permissions, for every role set and every scope subset", () => {
    // Violations are collected and asserted once: an expect() per case makes 2^n subsets slow.
    const violations: string[] = [];
    for (const roles of roleSets) {
      const owner = permissionsOfRoles(roles);
      for (const scopes of scopeSets) {
        for (const p of apiKeyPermissions(scopes, roles)) {
          if (!owner.has(p)) violations.push(`${roles}:${scopes} → ${p} beyond the owner`);
          // …and never exceeds its own scope either.
          if (scopes.length > 0 && !scopes.includes(p)) violations.push(`${roles}:${scopes} → ${p} beyond the scope`);
        }
      }
    }
    expect(violations).toEqual([]);
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
    expect([...apiKeyPermissions([], ["READ_ONLY"])].sort()).toEqual([
      "clusters:read",
      "end_users:read",
      "memories:read",
    ]);
  });
});

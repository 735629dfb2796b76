/**
 * Roles and the permissions they grant (DESIGN.md §3). Which permission each RPC needs is declared in
 * its proto option and read by domain/access-rules.ts; the names here are the ones those options may use.
 */

export const ROLES = ["ADMIN", "USER", "READ_ONLY"] as const;
export type RoleName = (typeof ROLES)[number];

export const PERMISSIONS = [
  "memories:read",
  "memories:write",
  "memories:delete",
  "clusters:read",
  "clusters:write",
  "keys:manage",
  "policies:execute",
  "audit:read",
  "users:manage",
  "end_users:read",
  "end_users:manage",
  "end_users:delegate",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** DESIGN §3: what only ADMIN holds; USER holds everything else. */
const ADMIN_ONLY_PERMISSIONS: readonly Permission[] = ["policies:execute", "audit:read", "users:manage"];

export const ROLE_PERMISSIONS: Readonly<Record<RoleName, readonly Permission[]>> = {
  ADMIN: PERMISSIONS,
  USER: PERMISSIONS.filter((p) => !ADMIN_ONLY_PERMISSIONS.includes(p)),
  READ_ONLY: ["memories:read", "clusters:read", "end_users:read"],
};

/** What a delegated end-user token may carry: the memory permissions, never account administration. */
export const DELEGABLE_PERMISSIONS: readonly Permission[] = [
  "memories:read",
  "memories:write",
  "memories:delete",
  "clusters:read",
  "clusters:write",
];

export function isRoleName(s: string): s is RoleName {
  return (ROLES as readonly string[]).includes(s);
}

export function isPermission(s: string): s is Permission {
  return (PERMISSIONS as readonly string[]).includes(s);
}

export function permissionsOfRoles(roles: readonly string[]): Set<Permission> {
  const out = new Set<Permission>();
  for (const role of roles) if (isRoleName(role)) for (const p of ROLE_PERMISSIONS[role]) out.add(p);
  return out;
}

/** An API key's effective permissions: its scopes, never more than its owner has *now*. */
export function apiKeyPermissions(scopes: readonly string[], ownerRoles: readonly string[]): Set<Permission> {
  const owner = permissionsOfRoles(ownerRoles);
  if (scopes.length === 0) return owner;
  return new Set(scopes.filter(isPermission).filter((p) => owner.has(p)));
}

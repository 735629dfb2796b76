import type { AuditEventType } from "./audit-events.js";

/**
 * Who may do what — the one source of truth (DESIGN.md §3). Every RPC of every served service has
 * exactly one entry in RPCS (its access rule and audit event); the authorization interceptor reads it
 * and denies any RPC that is missing (fail closed). A test walks every service descriptor against this table.
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
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** DESIGN §3: what only ADMIN holds; USER holds everything else. */
const ADMIN_ONLY_PERMISSIONS: readonly Permission[] = ["policies:execute", "audit:read", "users:manage"];

export const ROLE_PERMISSIONS: Readonly<Record<RoleName, readonly Permission[]>> = {
  ADMIN: PERMISSIONS,
  USER: PERMISSIONS.filter((p) => !ADMIN_ONLY_PERMISSIONS.includes(p)),
  READ_ONLY: ["memories:read", "clusters:read"],
};

/**
 * What an RPC requires: "public" (no credential), "authenticated" (any valid credential, acting on
 * the caller's own account), "user-session" (a JWT session, not an API key: changing the password
 * or ending sessions must not be possible with a leaked key), or one permission.
 */
type Access = "public" | "authenticated" | "user-session" | Permission;

export interface RpcPolicy {
  access: Access;
  /** The audit event of the call's outcome; absent for health and reflection (not audited). */
  event?: AuditEventType;
}

/** Every served RPC, keyed "package.Service/Method". */
export const RPCS: Readonly<Record<string, RpcPolicy>> = {
  "grpc.health.v1.Health/Check": { access: "public" },
  "grpc.health.v1.Health/Watch": { access: "public" },
  "grpc.health.v1.Health/List": { access: "public" },
  "grpc.reflection.v1.ServerReflection/ServerReflectionInfo": { access: "public" },
  "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": { access: "public" },

  "memoric.v1.AuthService/Register": { access: "public", event: "user.created" },
  "memoric.v1.AuthService/Login": { access: "public", event: "auth.login.success" },
  "memoric.v1.AuthService/Refresh": { access: "public", event: "auth.token.refreshed" },
  "memoric.v1.AuthService/Logout": { access: "user-session", event: "auth.logout" },
  "memoric.v1.AuthService/GetCurrentUser": { access: "authenticated", event: "user.retrieved" },
  "memoric.v1.AuthService/ChangePassword": { access: "user-session", event: "user.password.changed" },
  "memoric.v1.AuthService/CreateApiKey": { access: "keys:manage", event: "auth.apikey.created" },
  "memoric.v1.AuthService/ListApiKeys": { access: "keys:manage", event: "auth.apikey.listed" },
  "memoric.v1.AuthService/RevokeApiKey": { access: "keys:manage", event: "auth.apikey.revoked" },
  "memoric.v1.AuthService/ListUsers": { access: "users:manage", event: "user.retrieved" },
  "memoric.v1.AuthService/SetUserRoles": { access: "users:manage", event: "user.roles.changed" },
  "memoric.v1.AuthService/SetUserActive": { access: "users:manage", event: "user.updated" },
  "memoric.v1.AuthService/DeleteUser": { access: "users:manage", event: "user.deleted" },

  "memoric.v1.MemoryService/CreateMemory": { access: "memories:write", event: "memory.created" },
  "memoric.v1.MemoryService/BatchCreateMemories": { access: "memories:write", event: "memory.created" },
  "memoric.v1.MemoryService/GetMemory": { access: "memories:read", event: "memory.retrieved" },
  "memoric.v1.MemoryService/ListMemories": { access: "memories:read", event: "memory.retrieved" },
  "memoric.v1.MemoryService/SearchMemories": { access: "memories:read", event: "memory.searched" },
  "memoric.v1.MemoryService/UpdateMemory": { access: "memories:write", event: "memory.updated" },
  "memoric.v1.MemoryService/DeleteMemory": { access: "memories:delete", event: "memory.deleted" },
  "memoric.v1.MemoryService/DeleteMemories": { access: "memories:delete", event: "memory.deleted" },
  "memoric.v1.MemoryService/GetMemoryHistory": { access: "memories:read", event: "memory.retrieved" },
  "memoric.v1.MemoryService/GetContext": { access: "memories:read", event: "memory.searched" },
  "memoric.v1.MemoryService/ListClusters": { access: "clusters:read", event: "cluster.retrieved" },
  "memoric.v1.MemoryService/RebuildClusters": { access: "clusters:write", event: "cluster.rebuilt" },
  "memoric.v1.MemoryService/ExportMemories": { access: "memories:read", event: "memory.exported" },
  "memoric.v1.MemoryService/RunPolicies": { access: "policies:execute", event: "policy.executed" },

  "memoric.v1.AuditService/QueryAuditLogs": { access: "audit:read", event: "audit.queried" },
  "memoric.v1.AuditService/GetUserActivity": { access: "audit:read", event: "audit.queried" },
  "memoric.v1.AuditService/GetSecurityEvents": { access: "audit:read", event: "audit.queried" },
  "memoric.v1.AuditService/GetAuditStatistics": { access: "audit:read", event: "audit.queried" },
  "memoric.v1.AuditService/ListEventTypes": { access: "audit:read", event: "audit.queried" },
  "memoric.v1.AuditService/ListSeverityLevels": { access: "audit:read", event: "audit.queried" },
  "memoric.v1.AuditService/VerifyAuditChain": { access: "audit:read", event: "audit.verified" },
};

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

export type Decision = { allowed: true } | { allowed: false; reason: "unauthenticated" | "forbidden" | "unlisted" };

export interface PrincipalView {
  type: "user" | "api_key";
  permissions: ReadonlySet<Permission>;
}

/** Decides one call. `procedure` is "package.Service/Method". */
export function decide(procedure: string, principal: PrincipalView | undefined): Decision {
  const access = RPCS[procedure]?.access;
  if (access === undefined) return { allowed: false, reason: "unlisted" };
  if (access === "public") return { allowed: true };
  if (!principal) return { allowed: false, reason: "unauthenticated" };
  if (access === "authenticated") return { allowed: true };
  if (access === "user-session") return principal.type === "user" ? { allowed: true } : { allowed: false, reason: "forbidden" };
  return principal.permissions.has(access) ? { allowed: true } : { allowed: false, reason: "forbidden" };
}

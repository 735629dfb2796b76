/**
 * Who may call each RPC and which audit event records its outcome (DESIGN.md §3). The rule lives in the
 * contract: every application RPC carries the method option `(memoric.v1.access)` (proto/memoric/v1/
 * options.proto), read here from the service descriptors once, at start-up, so clients and generated
 * docs see the same rule the server enforces. An RPC without the option gets no entry and is denied to
 * everyone (fail closed); an option naming an unknown permission or event stops the server from starting.
 */
import { getOption, hasOption, type DescService } from "@bufbuild/protobuf";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { AuditService } from "../../gen/memoric/v1/audit_pb.js";
import { AuthService } from "../../gen/memoric/v1/auth_pb.js";
import { EndUserService } from "../../gen/memoric/v1/end_users_pb.js";
import { MemoryService } from "../../gen/memoric/v1/memory_pb.js";
import { access as accessOption, AccessClass, type AccessRule } from "../../gen/memoric/v1/options_pb.js";
import { isAuditEventType, type AuditEventType } from "./audit-events.js";
import { DELEGABLE_PERMISSIONS, isPermission, type Permission } from "./permissions.js";

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
  /** The kind of resource the RPC acts on (audit resource_type); absent for health and reflection. */
  resource?: string;
}

/** Policies keyed "package.Service/Method"; a procedure without an entry is denied. */
export type RpcPolicies = Readonly<Record<string, RpcPolicy>>;

/** The services whose methods carry `(memoric.v1.access)`. */
const OUR_SERVICES: readonly DescService[] = [AuthService, MemoryService, AuditService, EndUserService];

/** Vendored standard services cannot carry our option: probes and tooling call them anonymously, unaudited. */
const STANDARD_SERVICES: readonly DescService[] = [Health, ReflectionV1, ReflectionV1alpha];

const CLASS_ACCESS: ReadonlyMap<AccessClass, Access> = new Map<AccessClass, Access>([
  [AccessClass.PUBLIC, "public"],
  [AccessClass.AUTHENTICATED, "authenticated"],
  [AccessClass.USER_SESSION, "user-session"],
]);

/** The policy one option declares; throws when it is incomplete or names what does not exist. */
export function policyOfRule(procedure: string, rule: AccessRule): RpcPolicy {
  const bad = (why: string) => new Error(`${procedure}: option (memoric.v1.access) ${why}`);
  let access: Access;
  if (rule.accessClass === AccessClass.PERMISSION) {
    if (!isPermission(rule.permission)) throw bad(`names unknown permission "${rule.permission}"`);
    access = rule.permission;
  } else {
    const cls = CLASS_ACCESS.get(rule.accessClass);
    if (cls === undefined) throw bad("has no access_class");
    if (rule.permission !== "") throw bad("names a permission, but access_class is not ACCESS_CLASS_PERMISSION");
    access = cls;
  }
  // Every application RPC is audited and says what it acts on; an empty field is a forgotten one.
  if (!isAuditEventType(rule.auditEvent)) throw bad(`names unknown audit event "${rule.auditEvent}"`);
  if (rule.resource === "") throw bad("has no resource");
  return { access, event: rule.auditEvent, resource: rule.resource };
}

/**
 * The policies of every method of `services` that carries the option. A method without it is left
 * out, which denies it at run time; the descriptor-walk test makes that a failing build too.
 */
export function policiesFromOptions(services: readonly DescService[]): Record<string, RpcPolicy> {
  // No prototype: "constructor" or "__proto__" must never look like a listed procedure.
  const out = Object.create(null) as Record<string, RpcPolicy>;
  for (const service of services) {
    for (const method of service.methods) {
      if (!hasOption(method, accessOption)) continue;
      const procedure = `${service.typeName}/${method.name}`;
      out[procedure] = policyOfRule(procedure, getOption(method, accessOption));
    }
  }
  return out;
}

function standardPolicies(): Record<string, RpcPolicy> {
  const out = Object.create(null) as Record<string, RpcPolicy>;
  for (const s of STANDARD_SERVICES) for (const m of s.methods) out[`${s.typeName}/${m.name}`] = { access: "public" };
  return out;
}

/** Every served RPC's policy, keyed "package.Service/Method". */
export const RPCS: RpcPolicies = Object.freeze(Object.assign(standardPolicies(), policiesFromOptions(OUR_SERVICES)));

export type Decision = { allowed: true } | { allowed: false; reason: "unauthenticated" | "forbidden" | "unlisted" };

export interface PrincipalView {
  type: "user" | "api_key" | "end_user";
  permissions: ReadonlySet<Permission>;
}

/** Decides one call. `procedure` is "package.Service/Method"; `policies` default to the served ones. */
export function decide(
  procedure: string,
  principal: PrincipalView | undefined,
  policies: RpcPolicies = RPCS,
): Decision {
  const listed = Object.hasOwn(policies, procedure);
  const access = listed ? policies[procedure]?.access : undefined;
  if (access === undefined) return { allowed: false, reason: "unlisted" };
  if (access === "public") return { allowed: true };
  if (!principal) return { allowed: false, reason: "unauthenticated" };
  // A delegated end-user token reaches only memory RPCs, whatever else it might claim: never the
  // account's own RPCs (profile, keys, sessions), its end users, administration or the audit log.
  if (principal.type === "end_user") {
    const delegable = (DELEGABLE_PERMISSIONS as readonly string[]).includes(access);
    return delegable && principal.permissions.has(access as Permission)
      ? { allowed: true }
      : { allowed: false, reason: "forbidden" };
  }
  if (access === "authenticated") return { allowed: true };
  if (access === "user-session") {
    return principal.type === "user" ? { allowed: true } : { allowed: false, reason: "forbidden" };
  }
  return principal.permissions.has(access) ? { allowed: true } : { allowed: false, reason: "forbidden" };
}

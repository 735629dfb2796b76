// The audit vocabulary: the one place that lists event types, severities and principal types.
// Everything else (writers, query filters, ListEventTypes, the proto mapping) derives from these
// tables so a new event cannot exist in one layer and be unknown to another.
import { PrincipalType, Severity } from "../../gen/memoric/v1/audit_pb.js";

/** Ordered from least to most severe; the index is the rank used for ">= severity" filters. */
export const SEVERITIES = ["debug", "info", "warning", "error", "critical"] as const;
export type SeverityName = (typeof SEVERITIES)[number];

export interface AuditEventSpec {
  /** First dotted segment of the name (mirrors the proto EventType.category). */
  readonly category: string;
  readonly defaultSeverity: SeverityName;
  readonly description: string;
}

// Severity rationale: routine successes are "info"; high-volume noise is "debug"; anything an
// operator should look at (denials, failed logins, privilege or data-egress changes) is "warning";
// failures of the service are "error"; signals of active compromise are "critical".
export const AUDIT_EVENTS = {
  "auth.login.success": {
    category: "auth",
    defaultSeverity: "info",
    description: "A user authenticated with a password",
  },
  "auth.login.failed": { category: "auth", defaultSeverity: "warning", description: "A login attempt was rejected" },
  "auth.logout": {
    category: "auth",
    defaultSeverity: "info",
    description: "A session was ended and its tokens revoked",
  },
  "auth.token.created": {
    category: "auth",
    defaultSeverity: "info",
    description: "An access/refresh token pair was issued",
  },
  "auth.token.refreshed": {
    category: "auth",
    defaultSeverity: "debug",
    description: "A refresh token was exchanged for a new pair",
  },
  "auth.token.expired": { category: "auth", defaultSeverity: "info", description: "An expired token was presented" },
  "auth.token.invalid": {
    category: "auth",
    defaultSeverity: "warning",
    description: "A malformed, forged or revoked token was presented",
  },
  "auth.token.reuse_detected": {
    category: "auth",
    defaultSeverity: "critical",
    description: "A rotated refresh token was reused; the token family was revoked",
  },
  "auth.apikey.created": { category: "auth", defaultSeverity: "info", description: "An API key was created" },
  "auth.apikey.listed": { category: "auth", defaultSeverity: "debug", description: "A user listed their API keys" },
  "auth.apikey.revoked": { category: "auth", defaultSeverity: "info", description: "An API key was revoked" },
  "user.retrieved": {
    category: "user",
    defaultSeverity: "debug",
    description: "An account was read (own profile, or the admin user list)",
  },
  "user.created": { category: "user", defaultSeverity: "info", description: "A user account was created" },
  "user.updated": { category: "user", defaultSeverity: "info", description: "A user's profile was changed" },
  "user.deleted": { category: "user", defaultSeverity: "warning", description: "A user account was deleted" },
  "user.password.changed": { category: "user", defaultSeverity: "info", description: "A user's password was changed" },
  "user.activated": { category: "user", defaultSeverity: "info", description: "A user account was activated" },
  "user.deactivated": { category: "user", defaultSeverity: "warning", description: "A user account was deactivated" },
  "user.roles.changed": { category: "user", defaultSeverity: "warning", description: "A user's roles were changed" },
  "memory.created": { category: "memory", defaultSeverity: "info", description: "A memory was stored" },
  "memory.retrieved": { category: "memory", defaultSeverity: "info", description: "A memory was read" },
  "memory.searched": { category: "memory", defaultSeverity: "info", description: "Memories were searched" },
  "memory.updated": { category: "memory", defaultSeverity: "info", description: "A memory was changed" },
  "memory.deleted": { category: "memory", defaultSeverity: "info", description: "A memory was deleted" },
  "memory.exported": { category: "memory", defaultSeverity: "warning", description: "Memories were exported in bulk" },
  "cluster.retrieved": { category: "cluster", defaultSeverity: "info", description: "Memory clusters were read" },
  "cluster.rebuilt": { category: "cluster", defaultSeverity: "info", description: "Memory clusters were recomputed" },
  "policy.executed": { category: "policy", defaultSeverity: "info", description: "A retention/maintenance policy ran" },
  "policy.failed": { category: "policy", defaultSeverity: "error", description: "A policy run failed" },
  "authz.access.granted": { category: "authz", defaultSeverity: "debug", description: "A permission check passed" },
  "authz.access.denied": { category: "authz", defaultSeverity: "warning", description: "A permission check failed" },
  "system.startup": { category: "system", defaultSeverity: "info", description: "The service started" },
  "system.shutdown": { category: "system", defaultSeverity: "info", description: "The service stopped" },
  "system.error": {
    category: "system",
    defaultSeverity: "error",
    description: "An unexpected internal error occurred",
  },
  "system.key.rotated": {
    category: "system",
    defaultSeverity: "warning",
    description: "A signing or encryption key was rotated",
  },
  "system.index.rebuilt": {
    category: "system",
    defaultSeverity: "info",
    description: "The blind search index was rebuilt for the current text analysis",
  },
  "security.rate_limit.exceeded": {
    category: "security",
    defaultSeverity: "warning",
    description: "A caller exceeded a rate limit",
  },
  "security.account.locked": {
    category: "security",
    defaultSeverity: "warning",
    description: "An account was locked after repeated failures",
  },
  "security.breach.attempt": {
    category: "security",
    defaultSeverity: "critical",
    description: "A request matched a known attack pattern",
  },
  "security.suspicious.activity": {
    category: "security",
    defaultSeverity: "error",
    description: "Anomalous behaviour was detected",
  },
  "end_user.created": { category: "end_user", defaultSeverity: "info", description: "An end user was created" },
  "end_user.retrieved": {
    category: "end_user",
    defaultSeverity: "debug",
    description: "End users were read (one, or the account's list)",
  },
  "end_user.deleted": {
    category: "end_user",
    defaultSeverity: "warning",
    description: "An end user was erased: data key destroyed, memories deleted",
  },
  "auth.end_user_token.issued": {
    category: "auth",
    defaultSeverity: "info",
    description: "A delegated token pinned to one end user was issued",
  },
  "auth.end_user_token.revoked": {
    category: "auth",
    defaultSeverity: "info",
    description: "An end user's delegated tokens were revoked",
  },
  "audit.queried": { category: "audit", defaultSeverity: "info", description: "The audit log was read" },
  "audit.verified": { category: "audit", defaultSeverity: "info", description: "The audit chain was verified" },
} as const satisfies Record<string, AuditEventSpec>;

export type AuditEventType = keyof typeof AUDIT_EVENTS;

/** All event type names, in table order (stable for ListEventTypes). */
export const AUDIT_EVENT_TYPES = Object.freeze(Object.keys(AUDIT_EVENTS) as AuditEventType[]);

export function isAuditEventType(s: string): s is AuditEventType {
  return Object.hasOwn(AUDIT_EVENTS, s);
}

export function isSeverityName(s: string): s is SeverityName {
  return (SEVERITIES as readonly string[]).includes(s);
}

/** 0 (debug) .. 4 (critical); compare ranks, never names. */
export function severityRank(s: SeverityName): number {
  return SEVERITIES.indexOf(s);
}

// The proto enum members are the upper-cased names (protoc-gen-es strips the SEVERITY_ prefix).
// Indexing `Severity` with `Uppercase<SeverityName>` makes a renamed/removed proto value a compile
// error here instead of a silent mismatch.
const SEVERITY_TO_PROTO = new Map<SeverityName, Severity>(
  SEVERITIES.map((s) => [s, Severity[s.toUpperCase() as Uppercase<SeverityName>]]),
);
const SEVERITY_FROM_PROTO = new Map<Severity, SeverityName>(
  [...SEVERITY_TO_PROTO].map(([name, value]) => [value, name]),
);

export function severityToProto(s: SeverityName): Severity {
  return SEVERITY_TO_PROTO.get(s) ?? Severity.UNSPECIFIED;
}

/** undefined for SEVERITY_UNSPECIFIED or unknown numbers (proto3 enums are open). */
export function severityFromProto(s: Severity): SeverityName | undefined {
  return SEVERITY_FROM_PROTO.get(s);
}

export const PRINCIPAL_TYPES = ["user", "api_key", "anonymous", "system", "end_user"] as const;
export type PrincipalTypeName = (typeof PRINCIPAL_TYPES)[number];

const PRINCIPAL_TO_PROTO = new Map<PrincipalTypeName, PrincipalType>(
  PRINCIPAL_TYPES.map((p) => [p, PrincipalType[p.toUpperCase() as Uppercase<PrincipalTypeName>]]),
);
const PRINCIPAL_FROM_PROTO = new Map<PrincipalType, PrincipalTypeName>(
  [...PRINCIPAL_TO_PROTO].map(([name, value]) => [value, name]),
);

export function principalTypeToProto(p: PrincipalTypeName): PrincipalType {
  return PRINCIPAL_TO_PROTO.get(p) ?? PrincipalType.UNSPECIFIED;
}

export function principalTypeFromProto(p: PrincipalType): PrincipalTypeName | undefined {
  return PRINCIPAL_FROM_PROTO.get(p);
}

/** Plain shapes for ListEventTypes / ListSeverityLevels; wrap with create(EventTypeSchema, ...). */
export function describeEventTypes(): {
  name: AuditEventType;
  category: string;
  defaultSeverity: Severity;
  description: string;
}[] {
  return AUDIT_EVENT_TYPES.map((name) => {
    const spec: AuditEventSpec = AUDIT_EVENTS[name];
    return {
      name,
      category: spec.category,
      defaultSeverity: severityToProto(spec.defaultSeverity),
      description: spec.description,
    };
  });
}

export function describeSeverities(): { severity: Severity; name: SeverityName }[] {
  return SEVERITIES.map((name) => ({ severity: severityToProto(name), name }));
}

/**
 * An error that names the audit event its call ends with ("auth.token.expired",
 * "security.rate_limit.exceeded", ...): the layer that rejects a call knows why, the audit
 * interceptor records it. Tagged on the error itself, so nothing else crosses layers.
 */
import type { AuditEventType } from "./audit-events.js";

const AUDIT_EVENT = Symbol("memoric.auditEvent");

/** Tags err with the event its outcome row records; returns err, so `throw withAuditEvent(...)`. */
export function withAuditEvent<E extends Error>(err: E, event: AuditEventType): E {
  Object.defineProperty(err, AUDIT_EVENT, { value: event, enumerable: false, configurable: true });
  return err;
}

/** The event an error was tagged with, if any. */
export function auditEventOf(err: unknown): AuditEventType | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  return (err as { [AUDIT_EVENT]?: AuditEventType })[AUDIT_EVENT];
}

/** Store rows → AuditService messages. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type AuditLog,
  AuditLogSchema,
  type EventTypeCount,
  EventTypeCountSchema,
  Severity,
} from "../../../gen/memoric/v1/audit_pb.js";
import {
  isSeverityName,
  PRINCIPAL_TYPES,
  type PrincipalTypeName,
  principalTypeToProto,
  severityToProto,
} from "../../domain/audit-events.js";
import type { EventCount } from "../../store/audit-queries.js";
import type { AuditRow } from "../../store/audit-verify.js";

export function toAuditLog(r: AuditRow): AuditLog {
  const principalType = (PRINCIPAL_TYPES as readonly string[]).includes(r.principal_type)
    ? principalTypeToProto(r.principal_type as PrincipalTypeName)
    : 0;
  return create(AuditLogSchema, {
    id: r.id,
    shard: r.shard,
    sequence: BigInt(r.seq),
    eventType: r.event_type,
    severity: isSeverityName(r.severity) ? severityToProto(r.severity) : Severity.UNSPECIFIED,
    time: timestampFromDate(r.time),
    principalId: r.principal_id ?? "",
    principalType,
    roles: r.roles,
    service: r.service ?? "",
    method: r.method ?? "",
    resourceType: r.resource_type ?? "",
    resourceId: r.resource_id ?? "",
    success: r.success,
    code: r.code,
    errorMessage: r.error_message ?? "",
    clientAddress: r.client_address ?? "",
    userAgent: r.user_agent ?? "",
    requestId: r.request_id ?? "",
    sessionId: r.session_id ?? "",
    details: r.details as AuditLog["details"],
    hash: r.hash,
  });
}

export function counts(c: EventCount[]): EventTypeCount[] {
  return c.map((e) => create(EventTypeCountSchema, { eventType: e.eventType, count: BigInt(e.count) }));
}

/** QueryAuditLogs: filtered, newest first, keyset-paged with a true total. */
import type { ServiceImpl } from "@connectrpc/connect";
import { type AuditService, SeveritySchema } from "../../../gen/memoric/v1/audit_pb.js";
import { isAuditEventType, severityFromProto } from "../../domain/audit-events.js";
import { invalidField } from "../../domain/field-violations.js";
import { decodePageToken, encodePageToken, enumValue, optionalUuid, pageSize } from "../../domain/validation.js";
import type { AppContext } from "../../app-context.js";
import { type AuditFilter, queryAuditLogs } from "../../store/audit-queries.js";
import { adminScope, withReadTx } from "../audited-tx.js";
import { toAuditLog } from "./mapping.js";
import { AUDIT_PAGE, filterFingerprint, queried, range, reader, text, time } from "./reading.js";

export default function (app: AppContext): Partial<ServiceImpl<typeof AuditService>> {
  return {
    async queryAuditLogs(req, ctx) {
      reader(ctx);
      const severityValue = enumValue(SeveritySchema, "severity", req.severity);
      const severity = severityValue === undefined ? undefined : severityFromProto(severityValue);
      if (severityValue !== undefined && !severity) throw invalidField("severity", "unknown value");
      const eventType = text("event_type", req.eventType);
      if (eventType !== undefined && !isAuditEventType(eventType)) {
        throw invalidField("event_type", "unknown event type (see ListEventTypes)");
      }
      const filter: AuditFilter = {
        eventType,
        userId: optionalUuid("user_id", req.userId),
        resourceType: text("resource_type", req.resourceType),
        resourceId: text("resource_id", req.resourceId),
        success: req.success,
        minSeverity: severity,
        start: time("start_time", req.startTime),
        end: time("end_time", req.endTime),
      };
      range("start_time", filter.start, "end_time", filter.end);
      const size = pageSize("page_size", req.pageSize, AUDIT_PAGE);
      const scope = filterFingerprint(filter);
      const cursor = decodePageToken(req.pageToken, scope);
      const after = cursor && { time: new Date(cursor.time), id: cursor.id };
      const filters = Object.keys(filter).filter((k) => filter[k as keyof AuditFilter] !== undefined);
      const page = await withReadTx(
        app,
        ctx,
        (tx) => queryAuditLogs(tx, filter, { size, after }),
        (found) => queried({ query: "logs", filters, returned: found.rows.length, total: found.total }),
        adminScope(ctx),
      );
      const next = page.next && { time: page.next.time.toISOString(), id: page.next.id };
      return {
        logs: page.rows.map(toAuditLog),
        total: BigInt(page.total),
        nextPageToken: next ? encodePageToken(next, scope) : "",
      };
    },
  };
}

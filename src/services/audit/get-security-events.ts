/** GetSecurityEvents: warnings and above, failures and security.* events, newest first. */
import type { ServiceImpl } from "@connectrpc/connect";
import type { AuditService } from "../../../gen/memoric/v1/audit_pb.js";
import { pageSize } from "../../domain/validation.js";
import type { AppDeps } from "../../server/deps.js";
import { securityEvents } from "../../store/audit-queries.js";
import { toAuditLog } from "./mapping.js";
import { AUDIT_PAGE, asAdmin, describe, reader, time } from "./reading.js";

export default function (deps: AppDeps): Partial<ServiceImpl<typeof AuditService>> {
  return {
    async getSecurityEvents(req, ctx) {
      const p = reader(ctx);
      const since = time("since", req.since);
      const limit = pageSize("limit", req.limit, AUDIT_PAGE);
      const r = await asAdmin(deps, p, (tx) => securityEvents(tx, since, limit));
      describe(ctx, { query: "security_events", returned: r.rows.length, total: r.total });
      return { logs: r.rows.map(toAuditLog), total: BigInt(r.total) };
    },
  };
}

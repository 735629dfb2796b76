/** GetSecurityEvents: warnings and above, failures and security.* events, newest first. */
import type { ServiceImpl } from "@connectrpc/connect";
import type { AuditService } from "../../../gen/memoric/v1/audit_pb.js";
import { pageSize } from "../../domain/validation.js";
import type { AppContext } from "../../app-context.js";
import { securityEvents } from "../../store/audit-queries.js";
import { adminScope, withReadTx } from "../audited-tx.js";
import { toAuditLog } from "./mapping.js";
import { AUDIT_PAGE, queried, reader, time } from "./reading.js";

export default function (app: AppContext): Partial<ServiceImpl<typeof AuditService>> {
  return {
    async getSecurityEvents(req, ctx) {
      reader(ctx);
      const since = time("since", req.since);
      const limit = pageSize("limit", req.limit, AUDIT_PAGE);
      const r = await withReadTx(
        app,
        ctx,
        (tx) => securityEvents(tx, since, limit),
        (found) => queried({ query: "security_events", returned: found.rows.length, total: found.total }),
        adminScope(ctx),
      );
      return { logs: r.rows.map(toAuditLog), total: BigInt(r.total) };
    },
  };
}

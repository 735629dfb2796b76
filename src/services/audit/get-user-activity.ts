/** GetUserActivity: one principal's recent events and their counts by type. */
import type { ServiceImpl } from "@connectrpc/connect";
import type { AuditService } from "../../../gen/memoric/v1/audit_pb.js";
import { invalidField } from "../../domain/field-violations.js";
import { optionalUuid, pageSize } from "../../domain/validation.js";
import type { AppContext } from "../../app-context.js";
import { userActivity } from "../../store/audit-queries.js";
import { adminScope, withReadTx } from "../audited-tx.js";
import { counts, toAuditLog } from "./mapping.js";
import { AUDIT_PAGE, queried, reader, time } from "./reading.js";

export default function (app: AppContext): Partial<ServiceImpl<typeof AuditService>> {
  return {
    async getUserActivity(req, ctx) {
      reader(ctx);
      const user = optionalUuid("user_id", req.userId);
      if (!user) throw invalidField("user_id", "required");
      const since = time("since", req.since);
      const limit = pageSize("limit", req.limit, AUDIT_PAGE);
      const r = await withReadTx(
        app,
        ctx,
        (tx) => userActivity(tx, user, since, limit),
        (found) => queried({ query: "user_activity", returned: found.rows.length, total: found.total }, user),
        adminScope(ctx),
      );
      return { logs: r.rows.map(toAuditLog), total: BigInt(r.total), byEventType: counts(r.byEventType) };
    },
  };
}

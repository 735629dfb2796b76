/** GetUserActivity: one principal's recent events and their counts by type. */
import type { ServiceImpl } from "@connectrpc/connect";
import type { AuditService } from "../../../gen/memoric/v1/audit_pb.js";
import { invalidField } from "../../domain/field-violations.js";
import { optionalUuid, pageSize } from "../../domain/validation.js";
import { callState } from "../../interceptors/call-context.js";
import type { AppDeps } from "../../server/deps.js";
import { userActivity } from "../../store/audit-queries.js";
import { counts, toAuditLog } from "./mapping.js";
import { AUDIT_PAGE, asAdmin, describe, reader, time } from "./reading.js";

export default function (deps: AppDeps): Partial<ServiceImpl<typeof AuditService>> {
  return {
    async getUserActivity(req, ctx) {
      const p = reader(ctx);
      const user = optionalUuid("user_id", req.userId);
      if (!user) throw invalidField("user_id", "required");
      const since = time("since", req.since);
      const limit = pageSize("limit", req.limit, AUDIT_PAGE);
      const r = await asAdmin(deps, p, (tx) => userActivity(tx, user, since, limit));
      describe(ctx, { query: "user_activity", returned: r.rows.length, total: r.total });
      callState(ctx).resourceId = user;
      return { logs: r.rows.map(toAuditLog), total: BigInt(r.total), byEventType: counts(r.byEventType) };
    },
  };
}

/** GetAuditStatistics: totals over a window (default: the last day). */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { type AuditService, MethodCountSchema } from "../../../gen/memoric/v1/audit_pb.js";
import type { AppDeps } from "../../server/deps.js";
import { auditStatistics } from "../../store/audit-queries.js";
import { counts } from "./mapping.js";
import { asAdmin, describe, range, reader, time } from "./reading.js";

const DAY_MS = 86_400_000;

export default function (deps: AppDeps): Partial<ServiceImpl<typeof AuditService>> {
  return {
    async getAuditStatistics(req, ctx) {
      const p = reader(ctx);
      const until = time("until", req.until) ?? new Date();
      const since = time("since", req.since) ?? new Date(until.getTime() - DAY_MS);
      range("since", since, "until", until);
      const s = await asAdmin(deps, p, (tx) => auditStatistics(tx, since, until));
      describe(ctx, { query: "statistics", total: s.total });
      return {
        total: BigInt(s.total),
        successCount: BigInt(s.successCount),
        failureCount: BigInt(s.failureCount),
        uniquePrincipals: BigInt(s.uniquePrincipals),
        byEventType: counts(s.byEventType),
        topDeniedMethods: s.topDeniedMethods.map((m) =>
          create(MethodCountSchema, { method: m.method, count: BigInt(m.count) }),
        ),
      };
    },
  };
}

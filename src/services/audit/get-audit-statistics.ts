/** GetAuditStatistics: totals over a window (default: the last day). */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { type AuditService, MethodCountSchema } from "../../../gen/memoric/v1/audit_pb.js";
import type { AppContext } from "../../app-context.js";
import { auditStatistics } from "../../store/audit-queries.js";
import { adminScope, withReadTx } from "../audited-tx.js";
import { counts } from "./mapping.js";
import { queried, range, reader, time } from "./reading.js";

const DAY_MS = 86_400_000;

export default function (app: AppContext): Partial<ServiceImpl<typeof AuditService>> {
  return {
    async getAuditStatistics(req, ctx) {
      reader(ctx);
      const until = time("until", req.until) ?? new Date();
      const since = time("since", req.since) ?? new Date(until.getTime() - DAY_MS);
      range("since", since, "until", until);
      const s = await withReadTx(
        app,
        ctx,
        (tx) => auditStatistics(tx, since, until),
        (r) => queried({ query: "statistics", total: r.total }),
        adminScope(ctx),
      );
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

/**
 * VerifyAuditChain: recomputes the hash chain. Writes its own audit.verified row (rather than the
 * interceptor's audit.queried) so a broken chain is recorded as critical, not info.
 */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { type AuditService, ChainFaultSchema } from "../../../gen/memoric/v1/audit_pb.js";
import type { AppContext } from "../../app-context.js";
import { callInfo, requirePrincipal } from "../../interceptors/call-context.js";
import { verifyAuditLog } from "../../store/audit-verify.js";
import { auditedByItsTransactions, txOptions } from "../audited-tx.js";
import { reader } from "./reading.js";

export default function (deps: AppContext): Partial<ServiceImpl<typeof AuditService>> {
  return {
    async verifyAuditChain(_req, ctx) {
      reader(ctx);
      const admin = { kind: "admin" as const, userId: requirePrincipal(ctx).userId };
      const result = await verifyAuditLog(deps.db.sql, admin, deps.secrets.auditKey, { txOptions: txOptions(ctx) });
      const bad = result.firstBad;
      if (bad) {
        deps.logger.error({ shard: bad.shard, seq: bad.seq, reason: bad.reason }, "audit chain verification failed");
      }
      // Written here rather than by the interceptor: a broken chain is a critical event, not an info one.
      try {
        await deps.audit.recordStandalone(callInfo(ctx), {
          type: "audit.verified",
          success: true,
          resourceType: "audit_log",
          ...(bad ? { severity: "critical" } : {}),
          details: {
            ok: result.ok,
            checked: result.checked,
            checkpoints: result.checkpointsVerified,
            ...(bad ? { shard: bad.shard, seq: bad.seq, reason: bad.reason } : {}),
          },
        });
      } catch {
        const requestId = callInfo(ctx).requestId;
        deps.logger.error({ requestId }, "audit write failed (audit.verified); answering anyway");
      }
      auditedByItsTransactions(ctx);
      const firstBad =
        bad &&
        create(ChainFaultSchema, {
          shard: bad.shard,
          sequence: BigInt(bad.seq),
          auditLogId: bad.id ?? "",
          reason: bad.reason,
        });
      return {
        ok: result.ok,
        checked: BigInt(result.checked),
        checkpointsVerified: BigInt(result.checkpointsVerified),
        ...(firstBad ? { firstBad } : {}),
      };
    },
  };
}

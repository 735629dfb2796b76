/**
 * RunPolicies: expiry, tiering, trimming and summaries for every user, now (the scheduler runs the
 * same code). Each user's changes are audited in their own transaction; a dry or empty run is one
 * outcome row written by the audit interceptor.
 */
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  PolicyActionCountSchema,
  RunPoliciesResponseSchema,
  type MemoryService,
  type MemoryTier,
} from "../../../gen/memoric/v1/memory_pb.js";
import type { AppContext } from "../../app-context.js";
import { withAuditEvent } from "../../domain/audited-error.js";
import { callInfo, requirePrincipal } from "../../interceptors/call-context.js";
import { runPolicies, type PolicyRunResult } from "../../store/policies.js";
import { auditedByItsTransactions, describeRead, txOptions } from "../audited-tx.js";

export default (app: AppContext): Partial<ServiceImpl<typeof MemoryService>> => ({
  async runPolicies(req, ctx) {
    requirePrincipal(ctx);
    let result: PolicyRunResult;
    try {
      result = await runPolicies(app, callInfo(ctx), { dryRun: req.dryRun, txOptions: txOptions(ctx) });
    } catch (err) {
      // Another runner holding the lease (Aborted) is not a failure of the policies.
      if (err instanceof ConnectError && err.code === Code.Aborted) throw err;
      if (err instanceof ConnectError) throw withAuditEvent(err, "policy.failed");
      app.logger.error({ err, requestId: callInfo(ctx).requestId }, "policy run failed");
      throw withAuditEvent(new ConnectError("policy run failed", Code.Internal), "policy.failed");
    }
    const counts = result.counts.list();
    if (!result.dryRun && result.counts.total() > 0) auditedByItsTransactions(ctx);
    else {
      const details = { dryRun: result.dryRun, users: result.users, counts };
      describeRead(ctx, () => ({ resourceType: "policy", details }));
    }
    const toProto = (c: (typeof counts)[number]) =>
      create(PolicyActionCountSchema, { action: c.action, tier: c.tier as MemoryTier, count: BigInt(c.count) });
    return create(RunPoliciesResponseSchema, {
      dryRun: result.dryRun,
      counts: counts.map(toProto),
      duration: durationFromMs(Math.round(result.durationMs)),
    });
  },
});

/** ListSeverityLevels: the severity scale, lowest first. */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { type AuditService, SeverityLevelSchema } from "../../../gen/memoric/v1/audit_pb.js";
import { describeSeverities } from "../../domain/audit-events.js";
import type { AppDeps } from "../../server/deps.js";
import { describe, reader } from "./reading.js";

export default function (_deps: AppDeps): Partial<ServiceImpl<typeof AuditService>> {
  return {
    async listSeverityLevels(_req, ctx) {
      reader(ctx);
      describe(ctx, { query: "severity_levels" });
      return { levels: describeSeverities().map((s) => create(SeverityLevelSchema, s)) };
    },
  };
}

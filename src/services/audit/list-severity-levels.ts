/** ListSeverityLevels: the severity scale, lowest first. */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { type AuditService, SeverityLevelSchema } from "../../../gen/memoric/v1/audit_pb.js";
import { describeSeverities } from "../../domain/audit-events.js";
import { describeRead } from "../audited-tx.js";
import { queried, reader } from "./reading.js";

export default function (): Partial<ServiceImpl<typeof AuditService>> {
  return {
    async listSeverityLevels(_req, ctx) {
      reader(ctx);
      describeRead(ctx, () => queried({ query: "severity_levels" }));
      return { levels: describeSeverities().map((s) => create(SeverityLevelSchema, s)) };
    },
  };
}

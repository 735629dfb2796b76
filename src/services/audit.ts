/** memoric.v1.AuditService — handlers land with the audit issue; until then every RPC answers Unimplemented. */
import type { ServiceImpl } from "@connectrpc/connect";
import type { AuditService } from "../../gen/memoric/v1/audit_pb.js";
import type { AppDeps } from "../server/deps.js";

export function auditService(_deps: AppDeps): Partial<ServiceImpl<typeof AuditService>> {
  return {};
}

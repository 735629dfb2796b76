/**
 * memoric.v1.AuditService — admin only, one file per RPC, merged here. Shared access checks and
 * filter parsing live in reading.ts, row mapping in mapping.ts.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import { AuditService } from "../../../gen/memoric/v1/audit_pb.js";
import type { AppContext } from "../../app-context.js";
import { mergeRoutes } from "../routes.js";
import getAuditStatistics from "./get-audit-statistics.js";
import getSecurityEvents from "./get-security-events.js";
import getUserActivity from "./get-user-activity.js";
import listEventTypes from "./list-event-types.js";
import listSeverityLevels from "./list-severity-levels.js";
import queryAuditLogs from "./query-audit-logs.js";
import verifyAuditChain from "./verify-audit-chain.js";

const routes = [
  queryAuditLogs,
  getUserActivity,
  getSecurityEvents,
  getAuditStatistics,
  listEventTypes,
  listSeverityLevels,
  verifyAuditChain,
];

export function auditService(app: AppContext): ServiceImpl<typeof AuditService> {
  return mergeRoutes(
    AuditService,
    routes.map((route) => route(app)),
  );
}

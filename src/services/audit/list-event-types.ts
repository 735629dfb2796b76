/** ListEventTypes: the audit event catalogue. */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { type AuditService, EventTypeSchema } from "../../../gen/memoric/v1/audit_pb.js";
import { describeEventTypes } from "../../domain/audit-events.js";
import { describeRead } from "../audited-tx.js";
import { queried, reader } from "./reading.js";

export default function (): Partial<ServiceImpl<typeof AuditService>> {
  return {
    async listEventTypes(_req, ctx) {
      reader(ctx);
      describeRead(ctx, () => queried({ query: "event_types" }));
      return { eventTypes: describeEventTypes().map((e) => create(EventTypeSchema, e)) };
    },
  };
}

/** EndUserService: store rows → proto messages. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { EndUserSchema, type EndUser } from "../../../gen/memoric/v1/end_users_pb.js";
import type { EndUserRow } from "../../store/end-users.js";

export function toEndUser(externalId: string, row: EndUserRow): EndUser {
  return create(EndUserSchema, {
    endUserId: externalId,
    id: row.id,
    memoryCount: BigInt(row.memory_count),
    createdAt: timestampFromDate(row.created_at),
  });
}

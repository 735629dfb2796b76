/** What both entry points export besides createMemoricClient. */
export type { EndUserHandle, MemoricClient, MemoricClientOptions, MemoryApi, Protocol } from "./core.js";
export { MemoricError, type FieldViolation } from "./errors.js";
export type { RetryOptions } from "./interceptors.js";
export type { MemoricAuth } from "./session.js";
export * from "./gen/memoric/v1/audit_pb.js";
export * from "./gen/memoric/v1/auth_pb.js";
export * from "./gen/memoric/v1/end_users_pb.js";
export * from "./gen/memoric/v1/memory_pb.js";
export { Code } from "@connectrpc/connect";

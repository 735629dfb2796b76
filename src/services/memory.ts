/** memoric.v1.MemoryService — handlers land with the memory issue; until then every RPC answers Unimplemented. */
import type { ServiceImpl } from "@connectrpc/connect";
import type { MemoryService } from "../../gen/memoric/v1/memory_pb.js";
import type { AppDeps } from "../server/deps.js";

export function memoryService(_deps: AppDeps): Partial<ServiceImpl<typeof MemoryService>> {
  return {};
}

/**
 * memoric.v1.MemoryService, one file per RPC. Every handler reads the same way: validate (./validation)
 * → withAuditedTx / withReadTx (../audited-tx: transaction, RLS, audit row) around store calls → map
 * (./mapping). The owner of every memory is the authenticated principal, never a request field;
 * authorization per RPC is the interceptors' (from the proto's access option).
 */
import type { ServiceImpl } from "@connectrpc/connect";
import { MemoryService } from "../../../gen/memoric/v1/memory_pb.js";
import type { AppContext } from "../../app-context.js";
import batchCreateMemories from "./batch-create-memories.js";
import createMemory from "./create-memory.js";
import deleteMemories from "./delete-memories.js";
import deleteMemory from "./delete-memory.js";
import exportMemories from "./export-memories.js";
import getContext from "./get-context.js";
import getMemoryHistory from "./get-memory-history.js";
import getMemory from "./get-memory.js";
import listClusters from "./list-clusters.js";
import listMemories from "./list-memories.js";
import rebuildClusters from "./rebuild-clusters.js";
import runPolicies from "./run-policies.js";
import searchMemories from "./search-memories.js";
import updateMemory from "./update-memory.js";
import { mergeRoutes } from "../routes.js";

const RPCS = [
  createMemory,
  batchCreateMemories,
  getMemory,
  listMemories,
  searchMemories,
  updateMemory,
  deleteMemory,
  deleteMemories,
  getMemoryHistory,
  getContext,
  listClusters,
  rebuildClusters,
  exportMemories,
  runPolicies,
];

export function memoryService(app: AppContext): ServiceImpl<typeof MemoryService> {
  return mergeRoutes(
    MemoryService,
    RPCS.map((rpc) => rpc(app)),
  );
}

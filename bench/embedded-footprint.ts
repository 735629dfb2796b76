/**
 * The embedded mode's footprint: a server on its in-process PGlite (no DATABASE_URL), its resident
 * set idle and at its largest while it takes writes, reads and searches. PGlite runs inside the
 * server's process, so this RSS is the database's too; in PostgreSQL mode the database is not in it.
 */
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { GetMemoryRequestSchema, MemoryService, SearchMemoriesRequestSchema } from "../gen/memoric/v1/memory_pb.js";
import { createEmbeddedDatabase } from "../test/support/database.js";
import { account, batchFrame, createFrame, SERVER_ENV, STREAMS, text, transport } from "./goal-support.js";
import { grpcLoad } from "./grpc-load.js";
import { grpcFrame, h2load } from "./h2load.js";
import { corpus } from "./corpus.js";
import { startServerProcess } from "./server-process.js";

export interface EmbeddedFootprint {
  /** RSS once started, migrated and holding one account, before any memory (MB). */
  idleMb: number;
  /** Largest RSS seen during the loads below (MB). */
  peakMb: number;
  memories: number;
  createsPerSecond: number;
  searchP50Ms: number;
}

const CM = "memoric.v1.MemoryService/CreateMemory";
const BCM = "memoric.v1.MemoryService/BatchCreateMemories";

/** `scale` shortens the loads as BENCH_SCALE does the goal table's. */
export async function measureEmbeddedFootprint(scale: number): Promise<EmbeddedFootprint> {
  const n = (x: number, min: number) => Math.max(min, Math.round(x * scale));
  const db = createEmbeddedDatabase();
  const server = await startServerProcess(SERVER_ENV, undefined, db);
  try {
    const a = await account(server, "bench");
    await new Promise((r) => setTimeout(r, 1000)); // start-up garbage collected, timers settled
    const idleMb = server.rssMb();
    const creates = await h2load(server, {
      procedure: CM,
      frame: createFrame(),
      token: a.token,
      requests: n(1000, 64),
      ...STREAMS,
    });
    const batches = n(20, 4);
    const batch = await h2load(server, {
      procedure: BCM,
      frame: batchFrame(100),
      token: a.token,
      requests: batches,
      clients: 1,
      streams: 4,
    });
    const { memory } = await createClient(MemoryService, transport(server, a.token)).createMemory({ content: text() });
    const get = grpcFrame(GetMemoryRequestSchema, create(GetMemoryRequestSchema, { id: memory!.id }));
    const reads = await h2load(server, {
      procedure: "memoric.v1.MemoryService/GetMemory",
      frame: get,
      token: a.token,
      requests: n(1000, 64),
      ...STREAMS,
    });
    // The batches' vocabulary (goal-support's texts come from corpus(11)), so searches find memories.
    const frames = Array.from({ length: 400 }, corpus(11).query).map((query) =>
      grpcFrame(SearchMemoriesRequestSchema, create(SearchMemoriesRequestSchema, { query })),
    );
    const search = { procedure: "memoric.v1.MemoryService/SearchMemories", token: a.token, frames };
    const oneAtATime = await grpcLoad(server, { ...search, requests: n(200, 50), concurrency: 1 });
    const parallel = await grpcLoad(server, { ...search, requests: n(400, 64), concurrency: 16 });
    return {
      idleMb,
      peakMb: Math.max(...[creates, batch, reads, oneAtATime, parallel].map((r) => r.rssMb), server.rssMb()),
      memories: n(1000, 64) + batches * 100 + 1,
      createsPerSecond: creates.perSecond,
      searchP50Ms: oneAtATime.p50,
    };
  } finally {
    await server.stop();
    await db.drop();
  }
}

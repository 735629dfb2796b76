/**
 * Spec: the goal table's varied-request load generator (bench/grpc-load.ts) counts only calls that
 * succeeded. A load whose calls fail (here: no credentials) throws instead of reporting a rate, and
 * a good load reports every call's latency and the CPU it cost.
 */
import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, expect, it } from "vitest";
import { HealthCheckRequestSchema } from "../../gen/grpc/health/v1/health_pb.js";
import { SearchMemoriesRequestSchema } from "../../gen/memoric/v1/memory_pb.js";
import { grpcLoad } from "../../bench/grpc-load.js";
import { grpcFrame } from "../../bench/h2load.js";
import { startServerProcess, type ServerProcess } from "../../bench/server-process.js";

let server: ServerProcess;
beforeAll(async () => {
  server = await startServerProcess({ MEMORIC_POLICY_INTERVAL_SECONDS: "0" });
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

it("reports the rate, every latency and the CPU of calls that all succeeded", async () => {
  const frames = ["", "memoric.v1.MemoryService"].map((service) =>
    grpcFrame(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service })),
  );
  const r = await grpcLoad(server, { procedure: "grpc.health.v1.Health/Check", frames, requests: 40, concurrency: 4 });
  expect(r.samplesMs).toHaveLength(40);
  expect(r.perSecond).toBeGreaterThan(0);
  expect(r.p99).toBeGreaterThanOrEqual(r.p50);
  expect(r.cpu.clientUs).toBeGreaterThan(0);
});

it("throws when calls fail, though every one of them answered HTTP 200", async () => {
  const frames = [grpcFrame(SearchMemoriesRequestSchema, create(SearchMemoriesRequestSchema, { query: "tea" }))];
  const load = grpcLoad(server, {
    procedure: "memoric.v1.MemoryService/SearchMemories",
    frames,
    requests: 5,
    concurrency: 2,
  });
  await expect(load).rejects.toThrow(/OK=0, client saw 5 failures HTTP 200 grpc-status 16/);
});

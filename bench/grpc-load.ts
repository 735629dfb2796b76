/**
 * Varied-request load from a process of its own (grpc-load-worker.ts), checked like h2load's: the
 * worker's own count of grpc-status 0 and the server's count of handled calls by code must both say
 * every call succeeded, or the run throws. Before it, the search rows were driven by a full
 * Connect client inside the bench process, whose decoding cost as much CPU per search as a third
 * of the server's, on the same two cores.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { perCall, readCpu } from "./cpu.js";
import type { H2Result } from "./h2load.js";
import type { WorkerOptions, WorkerResult } from "./grpc-load-worker.js";
import { handledByCode, type ServerProcess } from "./server-process.js";
import { summarize } from "./support.js";

const run = promisify(execFile);
const WORKER = path.join(path.dirname(new URL(import.meta.url).pathname), "grpc-load-worker.ts");

export interface GrpcLoadOptions {
  procedure: string;
  /** gRPC frames (grpcFrame), sent in turn. */
  frames: Buffer[];
  token?: string | undefined;
  requests: number;
  concurrency: number;
}

export async function grpcLoad(server: ServerProcess, o: GrpcLoadOptions): Promise<H2Result> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "memoric-grpc-load-"));
  const framesFile = path.join(dir, "frames.bin");
  fs.writeFileSync(
    framesFile,
    Buffer.concat(
      o.frames.flatMap((f) => {
        const length = Buffer.alloc(4);
        length.writeUInt32BE(f.length);
        return [length, f];
      }),
    ),
  );
  const [service, method] = o.procedure.split("/") as [string, string];
  const before = await handledByCode(server, service, method);
  const options: WorkerOptions = {
    url: server.url,
    procedure: o.procedure,
    token: o.token,
    framesFile,
    requests: o.requests,
    concurrency: o.concurrency,
  };
  const cpuBefore = readCpu(server.pid);
  let stdout: string;
  try {
    ({ stdout } = await run(process.execPath, ["--import", "tsx", WORKER, JSON.stringify(options)], {
      maxBuffer: 64 * 1024 * 1024,
    }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const result = JSON.parse(stdout) as WorkerResult;
  // The load column counts the worker during the load, not its start-up (tsx compiling it).
  const cpu = {
    ...perCall(cpuBefore, readCpu(server.pid), o.requests),
    clientUs: (result.cpuSeconds * 1e6) / o.requests,
  };
  const after = await handledByCode(server, service, method);
  const ok = (after.get("OK") ?? 0) - (before.get("OK") ?? 0);
  if (result.failures > 0 || ok !== o.requests) {
    throw new Error(
      `${o.procedure}: ${o.requests} sent, server answered OK=${ok}, client saw ${result.failures} failures ` +
        result.failureSamples.join("; "),
    );
  }
  const s = summarize(result.latenciesMs);
  return {
    perSecond: o.requests / result.seconds,
    p50: s.p50,
    p95: s.p95,
    p99: s.p99,
    rssMb: server.rssMb(),
    cpu,
    samplesMs: result.latenciesMs,
  };
}

/**
 * Raw gRPC load with h2load (Debian's nghttp2-client): HTTP/2 prior knowledge (h2c), one request
 * message encoded once (protobuf-es, the same bytes protoc would write) and framed as gRPC. h2load
 * counts any HTTP 200 as a success, and gRPC errors are HTTP 200 with a grpc-status trailer, so every
 * run is checked against the server's own count of handled calls by status code
 * (grpc_server_handled_total): exactly `requests` OK and nothing else, or the run throws.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { perCall, readCpu, type CpuPerCall } from "./cpu.js";
import { handledByCode, type ServerProcess } from "./server-process.js";
import { summarize } from "./support.js";

const run = promisify(execFile);

/** A gRPC length-prefixed message frame (uncompressed). */
export function grpcFrame<D extends DescMessage>(schema: D, message: MessageShape<D>): Buffer {
  const body = toBinary(schema, message);
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(body.length, 1);
  frame.set(body, 5);
  return frame;
}

export interface H2Options {
  /** "memoric.v1.MemoryService/CreateMemory". */
  procedure: string;
  frame: Buffer;
  token?: string | undefined;
  requests: number;
  /** Concurrent streams in all: clients × streams per client. */
  clients: number;
  streams: number;
}

export interface H2Result {
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  /** Largest RSS of the server seen while the load ran (MB). */
  rssMb: number;
  /** CPU per call: server, PostgreSQL, h2load (cpu.ts). */
  cpu: CpuPerCall;
  /** Every call's latency (ms), for percentiles over several runs. */
  samplesMs: number[];
}

/** Runs one h2load load against `server` and checks every counted call really succeeded. */
export async function h2load(server: ServerProcess, o: H2Options): Promise<H2Result> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "memoric-h2load-"));
  const data = path.join(dir, "frame.bin");
  const log = path.join(dir, "log.tsv");
  fs.writeFileSync(data, o.frame);
  const [service, method] = o.procedure.split("/") as [string, string];
  const before = await handledByCode(server, service, method);
  let rssMb = server.rssMb();
  const poll = setInterval(() => {
    rssMb = Math.max(rssMb, server.rssMb());
  }, 100);
  let stdout: string;
  const cpuBefore = readCpu(server.pid);
  try {
    const args = [
      "-n",
      String(o.requests),
      "-c",
      String(o.clients),
      "-m",
      String(o.streams),
      "-t",
      "1",
      "-H",
      "content-type: application/grpc",
      "-H",
      "te: trailers",
      ...(o.token ? ["-H", `authorization: Bearer ${o.token}`] : []),
      "-d",
      data,
      "--log-file",
      log,
      `${server.url}/${o.procedure}`,
    ];
    ({ stdout } = await run("h2load", args, { maxBuffer: 16 * 1024 * 1024 }));
  } finally {
    clearInterval(poll);
  }
  const cpu = perCall(cpuBefore, readCpu(server.pid), o.requests);
  const after = await handledByCode(server, service, method);
  const delta = new Map<string, number>();
  for (const [code, n] of after) {
    const d = n - (before.get(code) ?? 0);
    if (d !== 0) delta.set(code, d);
  }
  const ok = delta.get("OK") ?? 0;
  delta.delete("OK");
  if (ok !== o.requests || delta.size > 0) {
    const others = [...delta].map(([c, n]) => `${c}=${n}`).join(", ");
    throw new Error(`${o.procedure}: ${o.requests} sent, server answered OK=${ok} ${others}\n${stdout}`);
  }
  const finished = /finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(stdout);
  if (!finished) throw new Error(`unexpected h2load output:\n${stdout}`);
  const micros = fs
    .readFileSync(log, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => Number(line.split("\t")[2]) / 1000);
  fs.rmSync(dir, { recursive: true, force: true });
  const s = summarize(micros);
  return { perSecond: Number(finished[1]), p50: s.p50, p95: s.p95, p99: s.p99, rssMb, cpu, samplesMs: micros };
}

/**
 * A load generator for calls whose requests must vary (searches), in a process of its own: what
 * h2load does for one request, over node:http2 with frames encoded beforehand. It decodes nothing:
 * a call counts when its response is HTTP 200 and its trailers carry grpc-status 0, its latency
 * runs from the request to the last byte, as a client sees it. Spawned by grpc-load.ts; argv[2] is
 * a JSON WorkerOptions, the frames file holds length-prefixed gRPC frames. Prints one JSON line.
 */
import fs from "node:fs";
import http2 from "node:http2";

export interface WorkerOptions {
  url: string;
  procedure: string;
  token?: string | undefined;
  framesFile: string;
  requests: number;
  /** Calls in flight at once, spread over up to four HTTP/2 connections. */
  concurrency: number;
}

export interface WorkerResult {
  seconds: number;
  /** This process's CPU over the load only (not its start-up). */
  cpuSeconds: number;
  latenciesMs: number[];
  failures: number;
  /** The first few failures, as the client saw them. */
  failureSamples: string[];
}

function readFrames(file: string): Buffer[] {
  const all = fs.readFileSync(file);
  const frames: Buffer[] = [];
  for (let at = 0; at < all.length; ) {
    const length = all.readUInt32BE(at);
    frames.push(all.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return frames;
}

function call(session: http2.ClientHttp2Session, o: WorkerOptions, frame: Buffer): Promise<string | undefined> {
  return new Promise((resolve) => {
    const headers: http2.OutgoingHttpHeaders = {
      ":method": "POST",
      ":path": `/${o.procedure}`,
      "content-type": "application/grpc",
      te: "trailers",
    };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    const stream = session.request(headers);
    let status: number | undefined;
    let grpcStatus: string | undefined;
    stream.on("response", (h) => {
      status = Number(h[":status"]);
      grpcStatus = h["grpc-status"] as string | undefined; // trailers-only responses
    });
    stream.on("trailers", (t) => {
      grpcStatus = t["grpc-status"] as string | undefined;
    });
    stream.on("data", () => {}); // read and drop the body
    stream.on("error", (err) => resolve(String(err)));
    stream.on("close", () =>
      resolve(status === 200 && grpcStatus === "0" ? undefined : `HTTP ${status} grpc-status ${grpcStatus}`),
    );
    stream.end(frame);
  });
}

async function main(o: WorkerOptions): Promise<WorkerResult> {
  const frames = readFrames(o.framesFile);
  const sessions = Array.from({ length: Math.min(4, o.concurrency) }, () => http2.connect(o.url));
  await Promise.all(sessions.map((s) => new Promise((r, j) => s.once("connect", r).once("error", j))));
  const latenciesMs: number[] = [];
  const failures: string[] = [];
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: o.concurrency }, async (_, lane) => {
      const session = sessions[lane % sessions.length]!;
      while (next < o.requests) {
        const i = next++;
        const t = performance.now();
        const failure = await call(session, o, frames[i % frames.length]!);
        latenciesMs.push(performance.now() - t);
        if (failure) failures.push(failure);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  for (const s of sessions) s.close();
  return {
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    latenciesMs,
    failures: failures.length,
    failureSamples: failures.slice(0, 5),
  };
}

const options = JSON.parse(process.argv[2]!) as WorkerOptions;
process.stdout.write(`${JSON.stringify(await main(options))}\n`);

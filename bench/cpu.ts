/**
 * Where a row's CPU went, per call: the server process, the local PostgreSQL (every process named
 * postgres: backends, WAL writer, checkpointer, autovacuum) and the load generator (h2load, a
 * waited-for child of this process, or this process itself for the Node-driven rows). Every one
 * of them shares this machine's cores, so a row's rate is bounded by their sum: the column tells
 * which side a goal waits on; the server's main thread is named apart, since one core is all it
 * can use (a row whose main thread is near 1 s per second is bound by it). Linux /proc only;
 * elsewhere, or with a remote or embedded database (inside the server process then), the missing
 * parts read as zero.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";

export interface CpuReading {
  server: number;
  /** The server's main (event-loop) thread alone: JavaScript runs there, GC helpers and libuv do not. */
  serverMain: number;
  /**
   * Each postgres process's CPU seconds, by pid. Differences are taken per process: a backend that
   * exits between two readings would take its whole past CPU out of a plain sum (a negative figure).
   */
  postgres: ReadonlyMap<number, number>;
  client: number;
}

export interface CpuPerCall {
  serverUs: number;
  serverMainUs: number;
  postgresUs: number;
  clientUs: number;
}

let ticksPerSecond: number | undefined;
function hz(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime, stime, cutime, cstime of /proc/<pid>/stat (fields 14-17), in ticks; the name may hold spaces. */
function times(pid: number | string): { comm: string; own: number; children: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = stat.lastIndexOf(")");
    const f = stat.slice(close + 2).split(" ");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    return { comm, own: Number(f[11]) + Number(f[12]), children: Number(f[13]) + Number(f[14]) };
  } catch {
    return undefined;
  }
}

function postgresSeconds(): Map<number, number> {
  const byPid = new Map<number, number>();
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return byPid;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const t = times(Number(entry));
    if (t?.comm === "postgres") byPid.set(Number(entry), t.own / hz());
  }
  return byPid;
}

/** PostgreSQL's CPU seconds between two readings, over the processes alive at the second (new ones from zero). */
export function postgresBetween(before: CpuReading, after: CpuReading): number {
  let spent = 0;
  for (const [pid, seconds] of after.postgres) spent += seconds - (before.postgres.get(pid) ?? 0);
  return spent;
}

/** CPU seconds so far. The client part counts this process and its finished children (h2load). */
export function readCpu(serverPid: number): CpuReading {
  const self = times("self");
  return {
    server: (times(serverPid)?.own ?? 0) / hz(),
    serverMain: (times(`${serverPid}/task/${serverPid}`)?.own ?? 0) / hz(),
    postgres: postgresSeconds(),
    client: self ? (self.own + self.children) / hz() : 0,
  };
}

export function perCall(before: CpuReading, after: CpuReading, calls: number): CpuPerCall {
  const us = (s: number) => (s * 1e6) / Math.max(1, calls);
  return {
    serverUs: us(after.server - before.server),
    serverMainUs: us(after.serverMain - before.serverMain),
    postgresUs: us(postgresBetween(before, after)),
    clientUs: us(after.client - before.client),
  };
}

export function formatCpu(c: CpuPerCall | undefined): string {
  if (!c) return "";
  const n = (us: number) => Math.round(us).toLocaleString("en-US");
  const server = `server ${n(c.serverUs)} (main thread ${n(c.serverMainUs)})`;
  return `${server} + PG ${n(c.postgresUs)} + load ${n(c.clientUs)} µs`;
}

/** The mean of several rounds' figures. */
export function meanCpu(list: CpuPerCall[]): CpuPerCall | undefined {
  if (list.length === 0) return undefined;
  const mean = (k: keyof CpuPerCall) => list.reduce((s, c) => s + c[k], 0) / list.length;
  return {
    serverUs: mean("serverUs"),
    serverMainUs: mean("serverMainUs"),
    postgresUs: mean("postgresUs"),
    clientUs: mean("clientUs"),
  };
}

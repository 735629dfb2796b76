/**
 * Runs the `memoric` CLI as a child process without blocking the test worker: a spawnSync of the
 * seconds a CLI start takes on a loaded machine, repeated, starves vitest's worker RPC (reported as
 * "Timeout calling onTaskUpdate", which fails the run).
 */
import { spawn } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `memoric ...args` with `env` (default: this process's) and `input` on stdin (closed after it). */
export function runMemoric(args: readonly string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}) {
  return new Promise<CliResult>((resolve, reject) => {
    const child = spawn(process.execPath, ["bin/memoric.js", ...args], {
      cwd: ROOT,
      env: opts.env ?? process.env,
      timeout: 60_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(opts.input ?? "");
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

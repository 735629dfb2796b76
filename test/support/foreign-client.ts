/**
 * Running the Python and Go clients from tests: their child processes get a clean environment (no
 * pyenv/venv or proxy settings), missing toolchains are reported with the Debian packages to
 * install, and their scenario reports are parsed from the last stdout line.
 */
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

export const run = promisify(execFile);

const STRIPPED = [
  "PYTHONPATH",
  "PYTHONHOME",
  "VIRTUAL_ENV",
  "GOFLAGS",
  "http_proxy",
  "https_proxy",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "grpc_proxy",
];

export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: "1", PYTHONUNBUFFERED: "1" };
  for (const name of STRIPPED) delete env[name];
  return { ...env, ...extra };
}

export function onPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter).concat("/usr/bin")) {
    const candidate = path.join(dir, binary);
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** True when the tests must run (CI): a missing toolchain then fails instead of skipping. */
export const interopRequired = process.env.MEMORIC_REQUIRE_INTEROP === "1";

/** Runs a command with `input` on stdin; resolves with stdout, rejects with everything it printed. */
export function runWithInput(
  cmd: string,
  args: string[],
  input: string,
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? childEnv() });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${cmd} ${args.join(" ")} exited ${code}\nstdout: ${stdout}\nstderr: ${stderr}`));
    });
    child.stdin.end(input);
  });
}

export const lastJsonLine = <T>(stdout: string): T => JSON.parse(stdout.trim().split("\n").pop() ?? "") as T;

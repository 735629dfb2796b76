/**
 * Spec: the PostgreSQL driver survives losing a connection (postgres.js 3.4.9 as patched by
 * patches/postgres+3.4.9.patch). Each scenario runs in its own Node process: the unpatched driver
 * dies there with an uncaught `TypeError: Cannot read properties of null (reading 'write')`.
 * - a reserved connection whose backend is terminated rejects its queries (CONNECTION_CLOSED), it
 *   never crashes the process or hangs, and the pool serves the next query;
 * - a transaction whose backend is terminated mid-way rejects, its later statements are rejected
 *   instead of running on the reconnected connection outside the transaction, nothing of it is
 *   committed, and the pool recovers;
 * - a connection closed while a small write was queued reconnects and flushes again.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { testMode } from "../support/database.js";

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "driver-repro.mjs");

function run(
  scenario: string,
): Promise<{ exitCode: number; result: Record<string, unknown> | undefined; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, scenario], { env: process.env, timeout: 30_000 }, (err, stdout, stderr) => {
      const exitCode = err ? ((err as { code?: number }).code ?? 1) : 0;
      const line = stdout.trim().split("\n").pop();
      let result: Record<string, unknown> | undefined;
      try {
        result = line ? (JSON.parse(line) as Record<string, unknown>) : undefined;
      } catch {
        result = undefined;
      }
      resolve({ exitCode, result, stderr });
    });
  });
}

const closed = { ok: false, code: expect.stringMatching(/^(CONNECTION_CLOSED|ECONNRESET|57P01)$/) };
const one = { ok: true, value: [{ x: 1 }] };

// Skipped in embedded mode: pg_terminate_backend needs a real server (PGlite has a single session).
describe.skipIf(testMode === "embedded")("postgres.js survives a terminated backend (PostgreSQL only)", () => {
  it("a reserved connection: later queries reject, the process lives, the pool recovers", async () => {
    const { exitCode, result, stderr } = await run("reserved");
    expect(stderr).not.toMatch(/TypeError/);
    expect(exitCode).toBe(0);
    expect(result).toEqual({ first: closed, second: { ok: false, code: "CONNECTION_CLOSED" }, after: one });
  });

  it("a transaction: rejects, runs nothing outside itself, commits nothing, the pool recovers", async () => {
    const { exitCode, result, stderr } = await run("transaction");
    expect(stderr).not.toMatch(/TypeError/);
    expect(exitCode).toBe(0);
    expect(result).toEqual({
      tx: { ok: false, code: "CONNECTION_CLOSED" },
      late: { ok: false, code: "CONNECTION_CLOSED" },
      rows: [],
      after: one,
    });
  });

  it("a close with a queued write: the reconnected connection flushes again", async () => {
    const { exitCode, result } = await run("staleTimer");
    expect(exitCode).toBe(0);
    expect(result).toEqual({ lost: { ok: false, code: "CONNECTION_CLOSED" }, after: one });
  });
});

/** Spec: one holder per embedded data directory, released on close, stale locks taken over. */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { DataDirLockedError, LOCK_FILE_NAME, lockDataDir } from "../../src/store/data-dir-lock.js";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "memoric-lock-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

it("holds the directory with a lock file naming this process, removed on release", () => {
  const lock = lockDataDir(dir);
  expect(lock.file).toBe(path.join(dir, LOCK_FILE_NAME));
  expect(fs.readFileSync(lock.file, "utf8").trim()).toBe(String(process.pid));
  lock.release();
  expect(fs.existsSync(lock.file)).toBe(false);
  lock.release(); // idempotent
  lockDataDir(dir).release(); // free again
});

it("refuses a second holder in the same process", () => {
  const lock = lockDataDir(dir);
  try {
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
  } finally {
    lock.release();
  }
});

it("refuses while a live process holds it, naming the directory and the pid", () => {
  const live = process.ppid; // alive for the whole test
  fs.writeFileSync(path.join(dir, LOCK_FILE_NAME), `${live}\n`);
  const err = (() => {
    try {
      lockDataDir(dir);
    } catch (e) {
      return e;
    }
  })();
  expect(err).toBeInstanceOf(DataDirLockedError);
  expect((err as DataDirLockedError).pid).toBe(live);
  expect((err as Error).message).toContain(dir);
  expect((err as Error).message).toContain(`process ${live}`);
  // Somebody else's lock is left alone.
  expect(fs.readFileSync(path.join(dir, LOCK_FILE_NAME), "utf8").trim()).toBe(String(live));
});

it("takes over a lock whose process is gone, or a garbled one", () => {
  for (const stale of [`${deadPid()}\n`, "", "not a pid"]) {
    fs.writeFileSync(path.join(dir, LOCK_FILE_NAME), stale);
    const lock = lockDataDir(dir);
    expect(fs.readFileSync(lock.file, "utf8").trim()).toBe(String(process.pid));
    lock.release();
  }
});

it("takes over a lock left by an earlier process with this same pid (a restarted container's PID 1)", () => {
  fs.writeFileSync(path.join(dir, LOCK_FILE_NAME), `${process.pid}\n`);
  const lock = lockDataDir(dir);
  lock.release();
  expect(fs.existsSync(lock.file)).toBe(false);
});

/**
 * An exclusive lock on the embedded data directory. PGlite has no cross-process locking of its own:
 * two processes (the server and a CLI command) opening one data directory each work on a private copy
 * in memory and overwrite each other's files, so acknowledged writes vanish. Whoever opens the
 * directory first (server or CLI) holds `memoric.lock` (created exclusively, holding its pid) until it
 * closes the database; everyone else is refused with the holder's pid. A lock whose process is gone
 * (kill -9, a crash) is taken over.
 */
import fs from "node:fs";
import path from "node:path";

export const LOCK_FILE_NAME = "memoric.lock";

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
    readonly lockFile: string,
  ) {
    super(
      `the embedded data directory ${dataDir} is in use by process ${pid} (a running Memoric server or ` +
        `CLI command): stop it first. If no such process is using it, remove ${lockFile}`,
    );
    this.name = "DataDirLockedError";
  }
}

export interface DataDirLock {
  readonly file: string;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void;
}

/** Data directories locked by this process: a second open in-process is refused like any other. */
const heldHere = new Set<string>();

function holderPid(file: string): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  const pid = Number.parseInt(text.trim().split(/\s/)[0] ?? "", 10);
  // A garbled file (never written by us: see lockDataDir) holds no live process.
  return Number.isSafeInteger(pid) && pid > 0 ? pid : 0;
}

function isAlive(pid: number): boolean {
  // Our own pid in the file but not held here: a previous incarnation with the same pid (a container's
  // PID 1 restarted on a persistent volume).
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function lockDataDir(dataDir: string): DataDirLock {
  const dir = path.resolve(dataDir);
  const file = path.join(dir, LOCK_FILE_NAME);
  if (heldHere.has(dir)) throw new DataDirLockedError(dir, process.pid, file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (let attempt = 0; ; attempt++) {
    // Written aside, then hard-linked into place (fails with EEXIST like O_EXCL): the lock file is
    // never seen half-written.
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${process.pid}\n`, { mode: 0o600 });
    try {
      fs.linkSync(tmp, file);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    const pid = holderPid(file);
    if (pid === undefined) continue; // released meanwhile: try again
    if (pid !== 0 && isAlive(pid)) throw new DataDirLockedError(dir, pid, file);
    // Stale: its holder is gone. Bounded, in case a competitor keeps taking it over.
    if (attempt >= 3) throw new DataDirLockedError(dir, pid, file);
    fs.rmSync(file, { force: true });
  }
  heldHere.add(dir);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener("exit", release);
    heldHere.delete(dir);
    // Only our own lock: never remove one a competitor took over after a stale judgement.
    if (holderPid(file) === process.pid) fs.rmSync(file, { force: true });
  };
  // process.exit() without closing the database (a fatal start-up error) must not leave it behind.
  process.once("exit", release);
  return { file, release };
}

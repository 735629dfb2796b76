/**
 * The database's own ceiling on this machine, measured in the same run: pgbench's single-row INSERT
 * (prepared, like postgres.js) with as many clients as the server has pool connections.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import postgres from "postgres";
import type { ServerProcess } from "./server-process.js";

const run = promisify(execFile);

/** Rows per second over `seconds`; the table lives only for the measurement. */
export async function pgbenchInsert(server: ServerProcess, seconds: number): Promise<number> {
  const url = server.db.databaseUrl;
  if (!url) return NaN; // embedded mode: no PostgreSQL server to compare with
  const pool = Number(server.env.MEMORIC_DB_POOL_MAX ?? 10);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await sql`create table if not exists bench_raw (id uuid primary key, user_id uuid not null, content text not null,
            created_at timestamptz not null default now())`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "memoric-pgbench-"));
  const script = path.join(dir, "insert.sql");
  fs.writeFileSync(
    script,
    "insert into bench_raw (id, user_id, content) values (gen_random_uuid(), " +
      "'00000000-0000-4000-8000-000000000001', 'about two hundred bytes of memory content, as a create sends')\n",
  );
  try {
    const { stdout } = await run("pgbench", [
      "-n",
      "-M",
      "prepared",
      "-c",
      String(pool),
      "-j",
      "2",
      "-T",
      String(Math.round(seconds)),
      "-f",
      script,
      url,
    ]);
    const tps = /tps = ([\d.]+)/.exec(stdout);
    if (!tps) throw new Error(`unexpected pgbench output:\n${stdout}`);
    return Number(tps[1]);
  } finally {
    await sql`drop table bench_raw`;
    await sql.end();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

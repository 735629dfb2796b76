// Reproductions of postgres.js 3.4.9 connection-loss defects, one scenario per process (an unpatched
// driver dies with an uncaught TypeError, which must not take the test runner with it).
// Usage: DATABASE_URL=... node test/store/driver-repro.mjs <scenario>
// Prints one JSON line with the outcome; exits 0 unless the process itself failed.
import net from "node:net";
import postgres from "postgres";

const url = process.env.DATABASE_URL;
const scenario = process.argv[2];
const quiet = { onnotice: () => {} };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Settles p within ms: { ok, value } | { ok: false, code } | { hung: true }. */
async function outcome(p, ms = 4000) {
  let timer;
  const hung = new Promise((r) => (timer = setTimeout(() => r({ hung: true }), ms)));
  try {
    return await Promise.race([
      p.then(
        (value) => ({ ok: true, value }),
        (e) => ({ ok: false, code: e.code ?? e.message }),
      ),
      hung,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const scenarios = {
  // porsager/postgres#1208: a reserved connection whose backend was terminated.
  async reserved() {
    const sql = postgres(url, { max: 2, ...quiet });
    const killer = postgres(url, { max: 1, ...quiet });
    const reserved = await sql.reserve();
    const [{ pid }] = await reserved`select pg_backend_pid() as pid`;
    await killer`select pg_terminate_backend(${pid})`;
    const first = await outcome(reserved`select 1 as x`);
    const second = await outcome(reserved`select 1 as x`);
    reserved.release();
    const after = await outcome(sql`select 1 as x`);
    await killer.end();
    await sql.end({ timeout: 1 });
    return { first, second, after };
  },

  // A transaction whose backend is terminated while its callback still runs (porsager/postgres#1215,
  // #1155): its later statements must fail, not run outside the transaction on the reconnected
  // connection; the pool then recovers.
  async transaction() {
    const table = `driver_repro_${process.pid}`;
    const sql = postgres(url, { max: 1, ...quiet });
    const killer = postgres(url, { max: 1, ...quiet });
    await sql.unsafe(`create table ${table} (id int)`);
    let late;
    const tx = outcome(
      sql.begin(async (tx) => {
        const [{ pid }] = await tx`select pg_backend_pid() as pid`;
        await tx.unsafe(`insert into ${table} values (1)`);
        await killer`select pg_terminate_backend(${pid})`;
        // Queued behind the transaction; runs once the pool has reconnected the connection.
        await sql`select 1`.catch(() => {});
        late = await outcome(tx.unsafe(`insert into ${table} values (2)`));
      }),
      8000,
    );
    const result = await tx;
    await sleep(200); // let a late commit (unpatched) reach the server
    const rows = (await sql.unsafe(`select id from ${table} order by id`)).map((r) => r.id);
    const after = await outcome(sql`select 1 as x`);
    await sql.unsafe(`drop table ${table}`);
    await killer.end();
    await sql.end({ timeout: 1 });
    return { tx: result, late, rows, after };
  },

  // LanternOps/breeze#3225: a close between queuing a small write and flushing it leaves
  // nextWriteTimer set, so the reconnected connection never sends its startup message.
  async staleTimer() {
    let socket;
    const sql = postgres(url, {
      max: 1,
      connect_timeout: 1,
      ...quiet,
      socket: () => {
        const u = new URL(url);
        socket = net.connect(Number(u.port || 5432), u.hostname);
        return socket;
      },
    });
    await sql`select 1`;
    // From a check-phase callback: the query's write is queued for the next iteration's check phase,
    // while the destroyed socket's 'close' runs in this iteration's close phase, before it.
    const lost = await new Promise((resolve) =>
      setImmediate(() => {
        socket.destroy();
        resolve(outcome(sql`select 1 as x`));
      }),
    );
    const after = await outcome(sql`select 1 as x`, 5000);
    await sql.end({ timeout: 1 });
    return { lost, after };
  },
};

const watchdog = setTimeout(() => {
  console.log(JSON.stringify({ watchdog: true }));
  process.exit(3);
}, 20_000);
const result = await scenarios[scenario]();
clearTimeout(watchdog);
console.log(JSON.stringify(result));

/**
 * Seeds one end user's memories through the store's bulk path (the same sealing and blind index as
 * CreateMemory, 1000 rows per statement), from this process with the server's keyset: a corpus of
 * 100k memories through RPCs would take most of the run.
 */
import postgres from "postgres";
import { endUserOwnerId } from "../src/domain/end-users.js";
import { endUserHash } from "../src/security/blind-index.js";
import { MasterKeyring } from "../src/security/crypto.js";
import { uuidv7 } from "../src/store/memory-rows.js";
import { insertPrepared, prepareMemory } from "../src/store/memory-write.js";
import { OwnerKeys } from "../src/store/owner-keys.js";
import { inTx, userContext } from "../src/store/tx.js";
import type { ServerProcess } from "./server-process.js";

/** Adds memories to the end user (which must exist) until it holds `count`; returns `count`. */
export async function seedEndUser(
  server: ServerProcess,
  accountId: string,
  externalId: string,
  count: number,
  text: () => string,
): Promise<number> {
  const url = server.db.databaseUrl;
  if (!url) throw new Error("the goal table needs DATABASE_URL (PostgreSQL)");
  const sql = postgres(url, { max: 4, onnotice: () => {} });
  try {
    const keys = new OwnerKeys(await MasterKeyring.fromBase64(server.env.MEMORIC_KEYSET!));
    const accountKey = await keys.ensure(sql, accountId);
    const owner = {
      accountId,
      ownerId: endUserOwnerId(accountId, endUserHash(accountKey.blindIndexKey(), externalId)),
    };
    const context = userContext(accountId, owner.ownerId);
    const key = await inTx(sql, context, (tx) => keys.load(tx, owner.ownerId));
    if (!key) throw new Error("end user not found");
    const encrypt = server.env.MEMORIC_ENCRYPTION !== "off";
    const BATCH = 1000;
    const batches: Promise<unknown>[] = [];
    for (let done = 0; done < count; done += BATCH) {
      const n = Math.min(BATCH, count - done);
      const base = Date.now() - (count - done) * 60_000; // spread over time so recency varies
      const items = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          prepareMemory(key, encrypt, owner, uuidv7(base + i * 60_000), {
            content: text(),
            threadId: `t${(done + i) % 200}`,
            agentId: "",
            namespace: "",
            metadata: {},
            importance: 0,
            topic: "",
            category: "",
            role: 0,
            expiresAt: null,
            idempotencyKey: "",
          }),
        ),
      );
      batches.push(inTx(sql, context, (tx) => insertPrepared(tx, owner, items)));
      if (batches.length >= 2) await batches.shift();
    }
    await Promise.all(batches);
    await sql`vacuum analyze memories, memory_terms, memory_stats`; // as autovacuum would, in steady state
    return count;
  } finally {
    await sql.end();
  }
}

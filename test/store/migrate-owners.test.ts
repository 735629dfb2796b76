/**
 * Spec: migration 0005 (owners) keeps existing data valid. Rows written under 0004 — a user's
 * wrapped key in user_keys, encrypted memories, their history, terms and trigger-kept counters —
 * are readable, searchable and counted after the upgrade, as the account's own memories.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { analyze } from "../../src/domain/text.js";
import { createLogger } from "../../src/logger.js";
import { blindTerms } from "../../src/security/blind-index.js";
import { DataKey, MasterKeyring } from "../../src/security/crypto.js";
import { deleteMemory, getMemoryHistory, type MemoryStoreDeps } from "../../src/store/memories.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { searchMemories } from "../../src/store/memory-search.js";
import { contentAd, encodeDoc, seal } from "../../src/store/memory-rows.js";
import { loadMigrations, migrate } from "../../src/store/migrate.js";
import { selfOwner } from "../../src/store/owner.js";
import { OwnerKeys } from "../../src/store/owner-keys.js";
import { inTx, userContext } from "../../src/store/tx.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { testSecretsEnv } from "../support/secrets.js";

const logger = createLogger("silent");
let tdb: TestDatabase;
let db: Database;

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = await openDatabase({ databaseUrl: tdb.databaseUrl, dataDir: tdb.dataDir, poolMax: 2, logger });
});
afterAll(async () => {
  await db?.close();
  await tdb?.drop();
});

const USER = "0b7d2f52-3c55-4a53-9d53-1c8f2c7a0001";
const MEMORY = "0193a5f0-0000-7000-8000-000000000001";
const doc = (topic: string) => ({
  metadata: { source: "chat" },
  topic,
  category: "",
  entities: [],
  derived: { topic: false, category: true, importance: false },
});

it("rows written before the owners migration are read, searched, counted and deleted after it", async () => {
  const before = loadMigrations().filter((m) => m.version < "0005");
  await migrate(db.sql, logger, before);
  const env = { ...(await testSecretsEnv()), DATABASE_URL: tdb.databaseUrl ?? "", MEMORIC_DATA_DIR: tdb.dataDir };
  const config = loadConfig(env);
  const keyring = await MasterKeyring.fromBase64(config.secrets.keysetBase64!);
  const key = await DataKey.generate();

  // As the 0004 code wrote them: key AD "user_keys|<user>", content AD bound to the user id.
  const sealText = async (text: string, version: number, column: "content" | "metadata") =>
    (await seal(key, true, text, contentAd(USER, MEMORY, version, column))).ct;
  const v1 = "I am allergic to peanuts";
  const v2 = "I am severely allergic to peanuts and cashews";
  const terms = blindTerms(key.blindIndexKey(), analyze(v2).terms);
  await db.sql`insert into users (id, username, email, password_hash, roles)
               values (${USER}, 'legacy', 'legacy@example.com', 'x', '{USER}')`;
  await db.sql`insert into user_keys (user_id, wrapped_key, master_key_id)
               values (${USER}, ${await keyring.wrapDataKey(key.toBytes(), USER)}, ${keyring.primaryKeyId})`;
  await db.sql`insert into memories (id, user_id, importance, content_ct, metadata_ct, encrypted, key_id,
                                     content_chars, doc_len, version)
               values (${MEMORY}, ${USER}, 4, ${await sealText(v2, 2, "content")},
                       ${await sealText(encodeDoc(doc("health")), 2, "metadata")}, true, ${key.keyId},
                       ${v2.length}, ${analyze(v2).length}, 2)`;
  await db.sql`insert into memory_versions (memory_id, user_id, version, content_ct, metadata_ct, encrypted,
                                            key_id, reason, created_at)
               values (${MEMORY}, ${USER}, 1, ${await sealText(v1, 1, "content")},
                       ${await sealText(encodeDoc(doc("health")), 1, "metadata")}, true, ${key.keyId},
                       'update', now())`;
  for (const t of terms) {
    await db.sql`insert into memory_terms (memory_id, user_id, term_hash, tf, doc_len)
                 values (${MEMORY}, ${USER}, ${t.hash.toString()}, ${t.tf}, ${analyze(v2).length})`;
  }

  expect(await migrate(db.sql, logger)).toContain("0005_owners");

  const deps: MemoryStoreDeps = { keys: new OwnerKeys(keyring), config, logger };
  const owner = selfOwner(USER);
  const { history, found, stats } = await inTx(db.sql, userContext(USER, USER), async (tx) => ({
    history: await getMemoryHistory(deps, tx, owner, MEMORY),
    found: await searchMemories(deps, tx, owner, { query: "cashews allergy", filter: {}, topK: 5 }),
    stats: await tx<{ n: string }[]>`select sum(doc_count)::text as n from memory_stats where owner_id = ${USER}`,
  }));
  expect(history.map((h) => [h.version, h.content])).toEqual([
    [1, v1],
    [2, v2],
  ]);
  expect(found.map((r) => r.memory.id)).toEqual([MEMORY]);
  expect(stats[0]!.n).toBe("1");
  const [self] = await db.sql<{ id: string; account_id: string }[]>`select id, account_id from owners`;
  expect(self).toEqual({ id: USER, account_id: USER });

  // 0011 gave the row the hashes of its postings: deleting it finds and removes every one.
  await inTx(db.sql, userContext(USER, USER), (tx) => deleteMemory(tx, owner, MEMORY));
  const [left] = await db.sql<{ n: number }[]>`select count(*)::int as n from memory_terms`;
  expect(left!.n).toBe(0);
});

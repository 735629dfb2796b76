/**
 * A migrated database plus the memory store and service wired as the server wires them, without
 * the transport: handlers are called with a HandlerContext carrying a principal, as the
 * authentication interceptor would set it. Same database modes as the rest of the suite.
 */
import { create, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import {
  type Code,
  ConnectError,
  createContextValues,
  createHandlerContext,
  type HandlerContext,
} from "@connectrpc/connect";
import { Writable } from "node:stream";
import { afterAll, beforeAll } from "vitest";
import { MemoryService } from "../../gen/memoric/v1/memory_pb.js";
import { loadConfig, type Config } from "../../src/config.js";
import { principalKey, type CallInfo, type Principal } from "../../src/domain/call.js";
import { permissionsOfRoles, type RoleName } from "../../src/domain/permissions.js";
import { createLogger } from "../../src/logger.js";
import { MasterKeyring } from "../../src/security/crypto.js";
import type { AppContext } from "../../src/app-context.js";
import { RevocationCache } from "../../src/security/revocation-cache.js";
import { memoryService } from "../../src/services/memory/index.js";
import { createMetrics } from "../../src/metrics/metrics.js";
import { embeddingParts } from "../../src/server/app.js";
import { createAuditWriter } from "../../src/store/audit-log.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import type { MemoryStoreDeps } from "../../src/store/memories.js";
import { migrate } from "../../src/store/migrate.js";
import { OwnerKeys } from "../../src/store/owner-keys.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { testSecretsEnv } from "../support/secrets.js";

export interface StoreFixture {
  config: Config;
  db: Database;
  /** Owner/superuser connection: bypasses RLS. In embedded mode the only connection — use outside inTx. */
  sql: Database["sql"];
  keyring: MasterKeyring | undefined;
  deps: MemoryStoreDeps;
  app: AppContext;
  service: TestService;
  logs: string[];
  actor: CallInfo;
  testDb: TestDatabase;
  newUser(name?: string): Promise<string>;
  ctx(userId: string, roles?: RoleName[], method?: keyof typeof MemoryService.method): HandlerContext;
  /** Re-wires the store with other settings or another keyring, on the same database. */
  reopen(env?: Record<string, string>, keyring?: MasterKeyring | null): Promise<void>;
  close(): Promise<void>;
}

type Methods = typeof MemoryService.method;
type Call<M> = M extends {
  input: infer I extends DescMessage;
  output: infer O extends DescMessage;
  methodKind: infer K;
}
  ? K extends "server_streaming"
    ? (req: MessageInitShape<I>, ctx: HandlerContext) => AsyncIterable<MessageShape<O>>
    : (req: MessageInitShape<I>, ctx: HandlerContext) => Promise<MessageShape<O>>
  : never;
/** The service's handlers taking message inits (defaults filled like the wire would) and typed full replies. */
type TestService = { [K in keyof Methods]: Call<Methods[K]> };

function typed(impl: ReturnType<typeof memoryService>): TestService {
  const out: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(MemoryService.method)) {
    const h = (impl as Record<string, (req: unknown, ctx: HandlerContext) => unknown>)[name]!.bind(impl);
    out[name] = (init: MessageInitShape<DescMessage>, ctx: HandlerContext) => h(create(method.input, init), ctx);
  }
  return out as TestService;
}

let userSeq = 0;

export async function openStoreFixture(
  env: Record<string, string> = {},
  keyringOverride?: MasterKeyring | null,
): Promise<StoreFixture> {
  const testDb = await createTestDatabase();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      logs.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      cb();
    },
  });
  const baseEnv = {
    ...(await testSecretsEnv()),
    MEMORIC_DATA_DIR: testDb.dataDir,
    ...(testDb.databaseUrl ? { DATABASE_URL: testDb.databaseUrl } : {}),
  };
  let config = loadConfig({ ...baseEnv, ...env });
  const logger = createLogger("debug", sink);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: 8, logger });
  await migrate(db.sql, logger);

  const build = async (e: Record<string, string>, ring: MasterKeyring | null | undefined) => {
    config = loadConfig({ ...baseEnv, ...e });
    const metrics = createMetrics();
    const keyring =
      ring === null ? undefined : (ring ?? (await MasterKeyring.fromBase64(config.secrets.keysetBase64!)));
    const app = {
      config,
      logger,
      db,
      secrets: { keyring, jwt: {}, auditKey: Buffer.alloc(32), identifierSalt: Buffer.alloc(32) },
      tokens: undefined as never,
      audit: createAuditWriter({ sql: db.sql }),
      metrics,
      keys: new OwnerKeys(keyring, metrics),
      revocations: new RevocationCache(0),
      ...embeddingParts(config, metrics),
    } satisfies AppContext;
    return { app, keyring, deps: app, service: typed(memoryService(app)) };
  };

  const f: StoreFixture = {
    config,
    db,
    sql: db.sql,
    logs,
    testDb,
    actor: {
      principal: undefined,
      requestId: "test-request",
      clientAddress: "127.0.0.1",
      userAgent: "vitest",
      service: "memoric.v1.MemoryService",
      method: "Test",
    },
    ...(await build(env, keyringOverride)),
    async newUser(name) {
      const username = `${name ?? "user"}_${process.pid}_${++userSeq}`;
      const [row] = await db.sql<{ id: string }[]>`
        insert into users (username, email, password_hash, roles)
        values (${username}, ${username + "@example.test"}, 'x', '{USER}') returning id`;
      return row!.id;
    },
    ctx(userId, roles = ["USER"], method = "createMemory") {
      const principal: Principal = {
        type: "user",
        userId,
        username: "u",
        roles,
        permissions: permissionsOfRoles(roles),
        sessionId: "s",
        credentialId: "c",
      };
      return createHandlerContext({
        service: MemoryService,
        method: MemoryService.method[method],
        protocolName: "connect",
        requestMethod: "POST",
        url: `http://localhost/memoric.v1.MemoryService/${String(method)}`,
        contextValues: createContextValues().set(principalKey, principal),
      });
    },
    async reopen(e = {}, ring) {
      // A fresh AppContext, hence a fresh key cache: keys cached under the old keyset are gone.
      Object.assign(f, await build(e, ring));
      f.config = config;
    },
    async close() {
      await db.close();
      await testDb.drop();
    },
  };
  return f;
}

/** Every table of the public schema, each row cast to text: what a database thief would read. */
export async function dumpAllTables(sql: Database["sql"]): Promise<{ table: string; text: string }[]> {
  const tables = await sql<{ table_name: string }[]>`
    select table_name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`;
  const out: { table: string; text: string }[] = [];
  for (const { table_name } of tables) {
    // bytea shows as hex in ::text; also render it with escapes so plaintext bytes would be visible.
    const rows = await sql.unsafe<{ t: string }[]>(`select t::text as t from "${table_name}" t`);
    const cols = await sql<{ column_name: string }[]>`
      select column_name from information_schema.columns
      where table_schema = 'public' and table_name = ${table_name} and data_type = 'bytea'`;
    const escaped = cols.map((c) => `encode("${c.column_name}", 'escape')`).join(", ");
    const decoded = cols.length
      ? await sql.unsafe<{ t: string }[]>(`select concat_ws(' ', ${escaped}) as t from "${table_name}"`)
      : [];
    out.push({ table: table_name, text: [...rows, ...decoded].map((r) => r.t).join("\n") });
  }
  return out;
}

/** The Connect code a call fails with, or undefined when it succeeds. */
export async function code(p: Promise<unknown>): Promise<Code | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return ConnectError.from(e).code;
  }
}

/** A counter's value in the fixture's metrics (undefined: never incremented with those labels). */
export async function counterValue(f: StoreFixture, name: string, labels: Record<string, string>) {
  const values = (await f.app.metrics.registry.getSingleMetric(name)!.get()).values;
  return values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value;
}

export interface CorpusFixture {
  f: StoreFixture;
  user: string;
  /** The memories' ids, in the order of the texts. */
  ids: string[];
}

/** A fixture, opened before the file's tests and closed after them, whose one user holds `texts` (one batch). */
export function useCorpusFixture(texts: readonly string[]): CorpusFixture {
  const corpus = { ids: [] as string[] } as CorpusFixture;
  beforeAll(async () => {
    corpus.f = await openStoreFixture();
    corpus.user = await corpus.f.newUser();
    const res = await corpus.f.service.batchCreateMemories(
      { memories: texts.map((content) => ({ content })) },
      corpus.f.ctx(corpus.user),
    );
    corpus.ids.push(...res.memories.map((m) => m.id));
  });
  afterAll(async () => {
    await corpus.f?.close();
  });
  return corpus;
}

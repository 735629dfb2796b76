/**
 * The client acceptance scenario, in TypeScript: the Python and Go clients run the same steps
 * (clients/python/examples/scenario.py, clients/go/example/scenario) and print the same report,
 * checked by checkScenarioReport (report.ts). Runs in Node and, bundled, in a browser: no Node APIs.
 *
 * Steps: credential (login or API key) -> two end users' memories -> search -> streamed export ->
 * paged list -> update with a field mask -> delete -> a validation error's field violations -> an
 * expired access token recovered by one refresh -> a create whose response is lost (Unavailable
 * injected after the server committed) retried with the same idempotency key, not duplicated.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { MemoricAuth, MemoricClient, MemoricClientOptions } from "../../clients/typescript/src/exports.js";
import type { ScenarioReport } from "./report.js";

export interface ScenarioParams {
  baseUrl: string;
  protocol: NonNullable<MemoricClientOptions["protocol"]>;
  auth: MemoricAuth;
  /** Unique per run: every content carries it. */
  tag: string;
  /** The server implements end users (EndUserService, end_user_id). */
  endUsers: boolean;
  /** An access token the server answers TOKEN_EXPIRED to, and a live refresh token of its session. */
  expired: { token: string; refreshToken: string };
}

type Create = (opts: MemoricClientOptions) => MemoricClient;

export async function runScenario(create: Create, p: ScenarioParams): Promise<ScenarioReport> {
  const client = create({ baseUrl: p.baseUrl, protocol: p.protocol, auth: p.auth, retry: { initialBackoffMs: 50 } });
  const me = await client.auth.getCurrentUser({});
  const a = client.endUser(`${p.tag}-alice`);
  const b = client.endUser(`${p.tag}-bob`);
  if (p.endUsers) {
    await a.ensure();
    await b.ensure();
  }
  const aContents = [`${p.tag} alice is allergic to peanuts`, `${p.tag} alice prefers window seats`];
  const aIds: string[] = [];
  for (const content of aContents) aIds.push((await a.memories.createMemory({ content, threadId: "t1" })).memory!.id);
  await b.memories.createMemory({ content: `${p.tag} bob likes peanuts too`, threadId: "t1" });

  const search = async (who: typeof a) =>
    (await who.memories.searchMemories({ query: "peanuts", topK: 10 })).results.map((r) => r.memory!.content);
  const searchA = await search(a);
  const searchB = await search(b);

  const exported = async (who: typeof a) => {
    const contents: string[] = [];
    for await (const item of who.memories.exportAll({})) contents.push(item.memory!.content);
    return contents.filter((c) => c.startsWith(p.tag));
  };
  const exportA = await exported(a);
  const exportB = await exported(b);
  const listedA: string[] = [];
  for await (const m of a.memories.listAll({ pageSize: 1 })) if (m.content.startsWith(p.tag)) listedA.push(m.id);

  const before = (await a.memories.getMemory({ id: aIds[0]! })).memory!;
  const updated = (
    await a.memories.updateMemory({
      id: aIds[0]!,
      updateMask: { paths: ["content"] },
      content: `${p.tag} alice: peanuts AND tree nuts`,
    })
  ).memory!;
  await a.memories.deleteMemory({ id: aIds[1]! });
  const afterDelete = await codeOf(a.memories.getMemory({ id: aIds[1]! }));

  let validation: ScenarioReport["validation"] = { code: "OK", fields: [] };
  try {
    await a.memories.createMemory({ content: "" });
  } catch (err) {
    const e = err as { codeName: string; fieldViolations: { field: string }[] };
    validation = { code: e.codeName, fields: e.fieldViolations.map((v) => v.field) };
  }

  const expiredClient = create({ baseUrl: p.baseUrl, protocol: p.protocol, auth: { ...p.expired, expiresIn: 900 } });
  const whoAfterRefresh = await expiredClient.auth.getCurrentUser({});

  const lost = lostResponseInjector();
  const flaky = create({
    baseUrl: p.baseUrl,
    protocol: p.protocol,
    auth: p.auth,
    retry: { initialBackoffMs: 50 },
    interceptors: [lost.interceptor],
  });
  const retried = await flaky
    .endUser(`${p.tag}-alice`)
    .memories.createMemory({ content: `${p.tag} alice retried`, threadId: "t2" });
  let copies = 0;
  for await (const m of a.memories.listAll({ filter: { threadId: "t2" } }))
    if (m.content === `${p.tag} alice retried`) copies++;

  // A delegated token (as a browser would get from its backend) sees only its end user's memories.
  let delegated: ScenarioReport["delegated"] = null;
  if (p.endUsers) {
    const asAlice = create({
      baseUrl: p.baseUrl,
      protocol: p.protocol,
      auth: { endUserToken: async () => (await a.issueToken()).token },
    });
    const found = (await asAlice.memories.searchMemories({ query: "peanuts", topK: 10 })).results;
    const other = await codeOf(
      asAlice.memories.createMemory({ content: `${p.tag} not mine`, endUserId: `${p.tag}-bob` }),
    );
    delegated = {
      searchContents: found
        .map((r) => r.memory!.content)
        .filter((c) => c.startsWith(p.tag))
        .sort(),
      otherEndUser: other,
    };
  }

  return {
    principal: me.principalType,
    endUsers: p.endUsers,
    searchA: searchA.filter((c) => c.startsWith(p.tag)).sort(),
    searchB: searchB.filter((c) => c.startsWith(p.tag)).sort(),
    exportA: exportA.sort(),
    exportB: exportB.sort(),
    listedA: listedA.length,
    update: {
      version: updated.version,
      previousVersion: before.version,
      content: updated.content,
      topicKept: updated.topic === before.topic,
    },
    deletedGet: afterDelete,
    validation,
    refresh: { user: whoAfterRefresh.user!.id === me.user!.id, refreshCount: expiredClient.session.refreshCount },
    retry: { attempts: lost.attempts(), sameKey: lost.sameKey(), replayed: retried.replayed, copies },
    delegated,
  };
}

async function codeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "OK";
  } catch (err) {
    return (err as { codeName?: string }).codeName ?? String(err);
  }
}

/** Lets the first CreateMemory reach the server, then loses its response (Unavailable). */
function lostResponseInjector() {
  const keys: string[] = [];
  const interceptor: Interceptor = (next) => async (req) => {
    if (req.stream || req.method.name !== "CreateMemory") return next(req);
    keys.push((req.message as unknown as { idempotencyKey: string }).idempotencyKey);
    const res = await next(req);
    if (keys.length === 1) throw new ConnectError("injected: response lost after commit", Code.Unavailable);
    return res;
  };
  return {
    interceptor,
    attempts: () => keys.length,
    sameKey: () => keys.length > 1 && keys.every((k) => k !== "" && k === keys[0]),
  };
}

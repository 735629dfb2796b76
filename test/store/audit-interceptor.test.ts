// The audit interceptor in isolation: which row each outcome produces, when it is written, and
// what happens when the write fails. A fake writer captures the rows.
import { Code, ConnectError, createContextValues, type ContextValues, type Interceptor } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { AuditService } from "../../gen/memoric/v1/audit_pb.js";
import { MemoryService } from "../../gen/memoric/v1/memory_pb.js";
import { loadConfig } from "../../src/config.js";
import { auditInterceptor } from "../../src/interceptors/audit.js";
import type { AuditEventType } from "../../src/domain/audit-events.js";
import { withAuditEvent } from "../../src/domain/audited-error.js";
import {
  auditWrittenKey,
  clientAddressKey,
  principalKey,
  readOutcomeKey,
  requestIdKey,
  userAgentKey,
  type CallInfo,
  type Principal,
} from "../../src/domain/call.js";
import { createLogger } from "../../src/logger.js";
import type { AppContext } from "../../src/app-context.js";
import type { AuditEventInput, AuditWriter, SystemActor } from "../../src/store/audit-log.js";

type AnyReq = Parameters<Parameters<Interceptor>[0]>[0];
type AnyRes = Awaited<ReturnType<Parameters<Interceptor>[0]>>;

const admin: Principal = {
  type: "user",
  userId: "11111111-1111-4111-8111-111111111111",
  username: "root",
  roles: ["ADMIN"],
  permissions: new Set(["audit:read"]),
  sessionId: "sid",
  credentialId: "jti",
};

function setup(opts: { logGranted?: boolean; failWrites?: boolean } = {}) {
  const rows: { call: CallInfo | SystemActor; event: AuditEventInput }[] = [];
  const logs: string[] = [];
  const audit: AuditWriter = {
    async record() {
      throw new Error("not used by the interceptor");
    },
    async recordStandalone(call, event) {
      if (opts.failWrites) throw new ConnectError("audit log unavailable", Code.Unavailable);
      rows.push({ call, event });
    },
    close() {},
  };
  const config = loadConfig({ MEMORIC_AUDIT_LOG_GRANTED: opts.logGranted ? "on" : "off" });
  const logger = createLogger("debug", {
    write: (s: string) => {
      logs.push(s);
    },
  });
  const deps = { config, logger, audit } as unknown as AppContext;
  return { rows, logs, interceptor: auditInterceptor(deps) };
}

function request(service: { typeName: string }, method: { name: string; methodKind?: string }, stream = false): AnyReq {
  return {
    stream,
    service,
    method,
    requestMethod: "POST",
    url: "http://x/",
    signal: new AbortController().signal,
    header: new Headers(),
    contextValues: createContextValues()
      .set(requestIdKey, "req-1")
      .set(clientAddressKey, "10.1.2.3")
      .set(userAgentKey, "ua"),
    message: {},
  } as unknown as AnyReq;
}

const unary = (req: AnyReq): AnyRes =>
  ({
    stream: false,
    service: req.service,
    method: req.method,
    header: new Headers(),
    trailer: new Headers(),
    message: {},
  }) as unknown as AnyRes;
/** Runs one call whose inner layers (authn, authz, handler) are `inner`, setting the call's context values. */
async function run(interceptor: Interceptor, req: AnyReq, inner: (values: ContextValues) => void | Promise<void>) {
  return interceptor(async (r) => {
    await inner(r.contextValues);
    return unary(r);
  })(req);
}
const authenticated = (v: ContextValues) => void v.set(principalKey, admin);

const queryLogs = () => request(AuditService, AuditService.method.queryAuditLogs);
const createMemory = () => request(MemoryService, MemoryService.method.createMemory);

describe("audit interceptor", () => {
  it("never audits health or reflection", async () => {
    const { rows, interceptor } = setup();
    const req = request(Health, Health.method.check);
    await run(interceptor, req, () => {});
    expect(rows).toHaveLength(0);
  });

  it("records a success with the RPC's event and the read helper's description", async () => {
    const { rows, interceptor } = setup();
    await run(interceptor, queryLogs(), authenticated);
    let count = 1;
    await run(interceptor, queryLogs(), (v) => {
      authenticated(v);
      v.set(readOutcomeKey, () => ({ resourceType: "audit_log", resourceId: "m1", details: { n: count } }));
      count = 2; // evaluated when the call ends
    });
    expect(rows.map((r) => r.event)).toEqual([
      {
        type: "audit.queried",
        success: true,
        code: "ok",
        resourceType: undefined,
        resourceId: undefined,
        details: undefined,
      },
      {
        type: "audit.queried",
        success: true,
        code: "ok",
        resourceType: "audit_log",
        resourceId: "m1",
        details: { n: 2 },
      },
    ]);
    expect(rows[0]!.call).toMatchObject({
      principal: admin,
      requestId: "req-1",
      clientAddress: "10.1.2.3",
      userAgent: "ua",
      service: "memoric.v1.AuditService",
      method: "QueryAuditLogs",
    });
  });

  it("writes nothing more when the handler recorded in its own transaction", async () => {
    const { rows, interceptor } = setup();
    await run(interceptor, createMemory(), (v) => void v.set(auditWrittenKey, true));
    expect(rows).toHaveLength(0);
  });

  it("describes a failure with what the handler left (a throttled login's identifier HMAC)", async () => {
    const { rows, interceptor } = setup();
    const throttled = new ConnectError("too many failed logins", Code.ResourceExhausted);
    const err = withAuditEvent(throttled, "security.rate_limit.exceeded");
    await expect(
      run(interceptor, createMemory(), (v) => {
        v.set(readOutcomeKey, () => ({ details: { username_hmac: "h" } }));
        throw err;
      }),
    ).rejects.toBe(err);
    expect(rows.map((r) => r.event)).toMatchObject([
      {
        type: "security.rate_limit.exceeded",
        success: false,
        resourceType: undefined,
        details: { username_hmac: "h" },
      },
    ]);
  });

  const failures: [string, ConnectError | Error, AuditEventType | undefined, Partial<AuditEventInput>][] = [
    [
      "PermissionDenied",
      new ConnectError("permission denied", Code.PermissionDenied),
      undefined,
      { type: "authz.access.denied", code: "permission_denied", severity: "warning" },
    ],
    [
      "Unauthenticated, refined",
      new ConnectError("access token expired", Code.Unauthenticated),
      "auth.token.expired",
      { type: "auth.token.expired", code: "unauthenticated" },
    ],
    [
      "Unauthenticated",
      new ConnectError("missing credential", Code.Unauthenticated),
      undefined,
      { type: "auth.token.invalid", code: "unauthenticated" },
    ],
    [
      "rate limited",
      new ConnectError("slow down", Code.ResourceExhausted),
      "security.rate_limit.exceeded",
      { type: "security.rate_limit.exceeded", code: "resource_exhausted" },
    ],
    [
      "handler error",
      new ConnectError("memory not found", Code.NotFound),
      undefined,
      { type: "memory.created", code: "not_found", errorMessage: "memory not found", severity: "info" },
    ],
    [
      "a bug",
      new Error("duplicate key (content)=(my secret diary)"),
      undefined,
      { type: "system.error", code: "internal", errorMessage: "internal error", severity: "error" },
    ],
  ];
  for (const [name, err, event, expected] of failures) {
    it(`records a failure: ${name}`, async () => {
      const { rows, interceptor } = setup();
      if (event) withAuditEvent(err, event);
      await expect(
        run(interceptor, createMemory(), () => {
          throw err;
        }),
      ).rejects.toBe(err);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.event).toMatchObject({ success: false, ...expected });
      expect(JSON.stringify(rows)).not.toContain("secret diary");
    });
  }

  it("audits an unlisted RPC's denial, and nothing else of it", async () => {
    const { rows, interceptor } = setup();
    const req = () => request({ typeName: "x.v1.Hidden" }, { name: "Peek" });
    await run(interceptor, req(), () => {});
    await expect(
      run(interceptor, req(), () => {
        throw new ConnectError("denied", Code.PermissionDenied);
      }),
    ).rejects.toThrow();
    expect(rows.map((r) => r.event.type)).toEqual(["authz.access.denied"]);
  });

  it("fails closed on a mutation or a read whose audit row cannot be written; a failure keeps its error", async () => {
    const { logs, interceptor } = setup({ failWrites: true });
    await expect(run(interceptor, createMemory(), () => {})).rejects.toMatchObject({ code: Code.Unavailable });
    await expect(run(interceptor, queryLogs(), () => {})).rejects.toMatchObject({ code: Code.Unavailable });
    const denied = new ConnectError("permission denied", Code.PermissionDenied);
    await expect(
      run(interceptor, createMemory(), () => {
        throw denied;
      }),
    ).rejects.toBe(denied);
    expect(logs.filter((l) => l.includes("audit write failed"))).toHaveLength(3);
  });

  it("adds authz.access.granted only when configured", async () => {
    for (const logGranted of [false, true]) {
      const { rows, interceptor } = setup({ logGranted });
      await run(interceptor, queryLogs(), authenticated);
      expect(rows.map((r) => r.event.type)).toEqual(
        logGranted ? ["authz.access.granted", "audit.queried"] : ["audit.queried"],
      );
    }
  });

  describe("streams", () => {
    const exportReq = () => request(MemoryService, MemoryService.method.exportMemories, true);
    async function* items(n: number, failAt?: number) {
      for (let i = 0; i < n; i++) {
        if (i === failAt) throw new ConnectError("gone", Code.Aborted);
        yield { i };
      }
    }
    const streamed = (interceptor: Interceptor, gen: AsyncIterable<unknown>) =>
      interceptor(async (r) => ({ ...unary(r), stream: true, message: gen }) as unknown as AnyRes)(exportReq());

    it("records once the stream has finished", async () => {
      const { rows, interceptor } = setup();
      const res = await streamed(interceptor, items(3));
      expect(rows).toHaveLength(0);
      const got = [];
      for await (const m of res.message as AsyncIterable<unknown>) got.push(m);
      expect(got).toHaveLength(3);
      expect(rows.map((r) => r.event)).toMatchObject([{ type: "memory.exported", success: true }]);
    });

    it("records a stream that fails midway, or that the client abandons", async () => {
      const { rows, interceptor } = setup();
      const failing = await streamed(interceptor, items(3, 1));
      await expect(
        (async () => {
          for await (const _ of failing.message as AsyncIterable<unknown>) void _;
        })(),
      ).rejects.toThrow("gone");
      const abandoned = await streamed(interceptor, items(3));
      for await (const _ of abandoned.message as AsyncIterable<unknown>) break;
      expect(rows.map((r) => r.event)).toMatchObject([
        { type: "memory.exported", success: false, code: "aborted" },
        { type: "memory.exported", success: false, code: "cancelled" },
      ]);
    });
  });
});

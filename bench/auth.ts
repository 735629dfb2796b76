/**
 * bcrypt never blocks the event loop: health Check latency while 20 logins (bcrypt cost 12) run,
 * compared with the same Checks on an idle server in the same run.
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { AuthService } from "../gen/memoric/v1/auth_pb.js";
import { startTestServer } from "../test/support/server.js";
import { round, summarize, type Figures } from "./support.js";

async function checkLatencies(call: () => Promise<unknown>, durationMs: number): Promise<number[]> {
  const samples: number[] = [];
  const until = performance.now() + durationMs;
  while (performance.now() < until) {
    const t = performance.now();
    await call();
    samples.push(performance.now() - t);
  }
  return samples;
}

export async function benchAuth(): Promise<Figures> {
  const server = await startTestServer({
    MEMORIC_BCRYPT_COST: "12",
    LOG_LEVEL: "warn",
    MEMORIC_LOGIN_MAX_FAILURES: "1000",
    MEMORIC_RATE_LIMIT_ANONYMOUS_RPC: "100000",
  });
  try {
    const transport = createGrpcTransport({ baseUrl: server.url });
    const health = createClient(Health, transport);
    const auth = createClient(AuthService, transport);
    const password = "load test passphrase 2026";
    await auth.register({ username: "bench-user", email: "perf@example.com", password, fullName: "" });
    for (let i = 0; i < 50; i++) await health.check({ service: "" }); // warm-up

    const idle = summarize(await checkLatencies(() => health.check({ service: "" }), 2000));
    let logins = 0;
    const storm = (async () => {
      const started = performance.now();
      await Promise.all(
        Array.from({ length: 20 }, () => auth.login({ username: "bench-user", password }).then(() => logins++)),
      );
      return performance.now() - started;
    })();
    const underLoad = summarize(await checkLatencies(() => health.check({ service: "" }), 1500));
    const stormMs = await storm;
    return {
      "health p50 idle (ms)": round(idle.p50),
      "health p99 idle (ms)": round(idle.p99),
      "health p50 during 20 logins (ms)": round(underLoad.p50),
      "health p99 during 20 logins (ms)": round(underLoad.p99),
      "p99 ratio (storm / idle)": round(underLoad.p99 / idle.p99),
      "20 logins at bcrypt cost 12 (ms)": round(stormMs, 0),
      "logins succeeded": logins,
    };
  } finally {
    await server.close();
  }
}

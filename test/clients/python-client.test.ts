/**
 * Spec: the Python package (clients/python, `memoric`) runs the client scenario against the real
 * server with Debian's grpcio and protobuf; its wheel builds offline and, installed into a fresh
 * directory, runs the quick-start example; its stubs never create a top-level package that would
 * shadow another distribution (grpc.health still imports from grpcio).
 *
 * Needs /usr/bin/python3 with python3-grpcio python3-protobuf python3-setuptools python3-wheel (installed
 * by .ci/run). Without them the tests are skipped with a warning, unless MEMORIC_REQUIRE_INTEROP=1 (CI).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ClientFixture, clientFixture, expiredSession, runTag } from "../support/client-harness.js";
import { childEnv, interopRequired, lastJsonLine, run, runWithInput } from "../support/foreign-client.js";
import { checkOutageRetried } from "../support/client-outage.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { checkScenarioReport, type ScenarioReport } from "./report.js";

const PYTHON = "/usr/bin/python3";
const PACKAGE = fileURLToPath(new URL("../../clients/python/", import.meta.url));
const PACKAGES = "python3-grpcio python3-protobuf python3-setuptools python3-wheel";

async function missingToolchain(): Promise<string | undefined> {
  if (!fs.existsSync(PYTHON)) return `${PYTHON} (apt-get install python3)`;
  try {
    await run(PYTHON, ["-c", "import grpc, google.protobuf, setuptools, wheel"], { env: childEnv() });
    return undefined;
  } catch {
    return `grpcio, protobuf, setuptools or wheel for ${PYTHON} (apt-get install ${PACKAGES})`;
  }
}

const missing = await missingToolchain();
if (missing && !interopRequired) process.stderr.write(`\n[python-client.test.ts] SKIPPED: missing ${missing}\n`);

let server: TestServer;
let fx: ClientFixture;

describe.skipIf(missing !== undefined && !interopRequired)("the Python client", () => {
  beforeAll(async () => {
    if (missing) throw new Error(`missing ${missing}`);
    server = await startTestServer();
    fx = await clientFixture(server);
  });
  afterAll(async () => {
    await server?.close();
  });

  const scenario = async (auth: Record<string, string>, principal: string) => {
    const tag = runTag();
    const params = {
      baseUrl: server.url,
      auth,
      tag,
      endUsers: fx.endUsers,
      expired: await expiredSession(server, fx.username),
    };
    const stdout = await runWithInput(PYTHON, ["examples/scenario.py"], JSON.stringify(params), {
      cwd: PACKAGE,
      env: childEnv({ PYTHONPATH: PACKAGE }),
    });
    checkScenarioReport(lastJsonLine<ScenarioReport>(stdout), tag, principal);
  };

  it("runs the scenario logged in with a password", async () => {
    await scenario({ username: fx.username, password: fx.password }, "user");
  }, 120_000);

  it("runs the scenario with an API key", async () => {
    await scenario({ api_key: fx.apiKey }, "api_key");
  }, 120_000);

  it("retries a create through a network outage (connections reset by a proxy) and stores it once", async () => {
    await checkOutageRetried(server, fx, runTag(), async (params) =>
      lastJsonLine<{ attempts: number; id: string }>(
        await runWithInput(PYTHON, ["examples/scenario.py"], JSON.stringify(params), {
          cwd: PACKAGE,
          env: childEnv({ PYTHONPATH: PACKAGE }),
        }),
      ),
    );
  }, 90_000);

  it("passes its own unit tests (clients/python/tests: the call pipeline against an in-process server)", async () => {
    await run(PYTHON, ["-m", "unittest", "discover", "-s", "tests"], {
      cwd: PACKAGE,
      env: childEnv({ PYTHONPATH: PACKAGE }),
      timeout: 120_000,
    });
  }, 120_000);

  it("leaves grpcio's own packages importable next to ours", async () => {
    const probe =
      "import memoric, memoric.v1, grpc; import grpc.experimental; print(memoric.v1.Memory.DESCRIPTOR.full_name)";
    const { stdout } = await run(PYTHON, ["-c", probe], { env: childEnv({ PYTHONPATH: PACKAGE }) });
    expect(stdout.trim()).toBe("memoric.v1.Memory");
    const tops = fs.readdirSync(path.join(PACKAGE, "memoric/_proto"));
    expect(tops.sort()).toEqual(["__init__.py", "_services.py", "google", "memoric"]);
  });

  it("builds a wheel offline that, installed into a fresh directory, runs the example", async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "memoric-wheel-"));
    try {
      const src = path.join(work, "src");
      fs.cpSync(PACKAGE, src, { recursive: true, filter: (f) => !/(__pycache__|\.egg-info|\/build)$/.test(f) });
      await run(
        PYTHON,
        ["-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", path.join(work, "dist"), src],
        {
          env: childEnv({ PIP_NO_INDEX: "1" }),
          timeout: 120_000,
        },
      );
      const wheels = fs.readdirSync(path.join(work, "dist"));
      expect(wheels).toEqual([expect.stringMatching(/^memoric-0\.1\.0-py3-none-any\.whl$/)]);
      const site = path.join(work, "site");
      await run(
        PYTHON,
        ["-m", "pip", "install", "--no-deps", "--no-index", "--target", site, path.join(work, "dist", wheels[0]!)],
        {
          env: childEnv(),
          timeout: 120_000,
        },
      );
      const { stdout } = await run(PYTHON, [path.join(PACKAGE, "examples/quickstart.py")], {
        cwd: work,
        env: childEnv({ PYTHONPATH: site, MEMORIC_URL: server.url, MEMORIC_API_KEY: fx.apiKey }),
      });
      expect(stdout).toContain("The user is allergic to peanuts");
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }, 240_000);
});

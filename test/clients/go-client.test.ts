/**
 * Spec: the Go module (clients/go, memoric.dev/go/memoric) passes `go vet` and `go test`, runs the client
 * scenario against the real server, and — copied into a fresh GOPATH as a user would vendor it —
 * builds and runs its quick-start example. Built offline in GOPATH mode with Debian's Go toolchain
 * and grpc-go/protobuf-go/genproto packages (installed by .ci/run). Without them the tests are
 * skipped with a warning, unless MEMORIC_REQUIRE_INTEROP=1 (CI).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ClientFixture, clientFixture, expiredSession, runTag } from "../support/client-harness.js";
import { childEnv, interopRequired, lastJsonLine, onPath, run, runWithInput } from "../support/foreign-client.js";
import { checkOutageRetried } from "../support/client-outage.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { checkScenarioReport, type ScenarioReport } from "./report.js";

const MODULE_DIR = fileURLToPath(new URL("../../clients/go/", import.meta.url));
const IMPORT_PATH = "memoric.dev/go/memoric";
const DEBIAN_GOCODE = "/usr/share/gocode";
const PACKAGES = [
  "golang-go",
  "golang-google-grpc-dev",
  "golang-google-protobuf-dev",
  "golang-google-genproto-dev",
  "golang-github-golang-protobuf-1-5-dev",
].join(" ");

function missingToolchain(): string | undefined {
  if (!onPath("go")) return "go";
  for (const pkg of ["google.golang.org/grpc", "google.golang.org/protobuf", "google.golang.org/genproto"]) {
    if (!fs.existsSync(path.join(DEBIAN_GOCODE, "src", pkg))) return `${DEBIAN_GOCODE}/src/${pkg}`;
  }
  return undefined;
}

const missing = missingToolchain();
if (missing && !interopRequired) {
  process.stderr.write(`\n[go-client.test.ts] SKIPPED: missing ${missing} (apt-get install ${PACKAGES})\n`);
}

/** A GOPATH holding the module (copied) at its import path; builds use Debian's packages, offline. */
function gopath(root: string): { env: NodeJS.ProcessEnv; dir: string } {
  const dir = path.join(root, "src", IMPORT_PATH);
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.cpSync(MODULE_DIR, dir, { recursive: true, filter: (f) => !f.endsWith("buf.gen.yaml") });
  const env = childEnv({
    GOPATH: `${root}${path.delimiter}${DEBIAN_GOCODE}`,
    GO111MODULE: "off",
    GOPROXY: "off",
    GOFLAGS: "",
    GOCACHE: path.join(os.tmpdir(), "memoric-go-cache"),
  });
  return { env, dir };
}

let server: TestServer;
let fx: ClientFixture;
let work: string;
let scenarioBin: string;

describe.skipIf(missing !== undefined && !interopRequired)("the Go client", () => {
  beforeAll(async () => {
    if (missing) throw new Error(`missing ${missing} (apt-get install ${PACKAGES})`);
    work = fs.mkdtempSync(path.join(os.tmpdir(), "memoric-go-"));
    const { env, dir } = gopath(path.join(work, "gopath"));
    scenarioBin = path.join(work, "scenario");
    await run("go", ["build", "-o", scenarioBin, "./examples/scenario"], { cwd: dir, env, timeout: 240_000 });
    server = await startTestServer();
    fx = await clientFixture(server);
  }, 300_000);
  afterAll(async () => {
    await server?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it("passes go vet and its own unit tests (the call pipeline against an in-process server)", async () => {
    const { env, dir } = gopath(path.join(work, "vet"));
    await run("go", ["vet", "./..."], { cwd: dir, env, timeout: 240_000 });
    await run("go", ["test", "."], { cwd: dir, env, timeout: 240_000 });
  }, 300_000);

  const scenario = async (auth: Record<string, string>, principal: string) => {
    const tag = runTag();
    const params = {
      baseUrl: server.url,
      auth,
      tag,
      endUsers: fx.endUsers,
      expired: await expiredSession(server, fx.username),
    };
    const stdout = await runWithInput(scenarioBin, [], JSON.stringify(params));
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
      lastJsonLine<{ attempts: number; id: string }>(await runWithInput(scenarioBin, [], JSON.stringify(params))),
    );
  }, 90_000);

  it("copied into a fresh GOPATH, builds and runs the quick-start example", async () => {
    const { env, dir } = gopath(path.join(work, "fresh"));
    const { stdout } = await run("go", ["run", "./examples/quickstart"], {
      cwd: dir,
      env: { ...env, MEMORIC_URL: server.url, MEMORIC_API_KEY: fx.apiKey },
      timeout: 240_000,
    });
    expect(stdout).toContain("The user is allergic to peanuts");
  }, 300_000);
});

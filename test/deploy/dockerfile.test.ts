/**
 * Spec (static: there is no docker here): the Dockerfile builds compiled JavaScript in a build stage
 * and ships a runtime stage on a base pinned by full version, with production dependencies only
 * (npm ci --omit=dev, patches/ applied), no tsx or TypeScript, a non-root numeric USER, nothing
 * writable but the /data volume, a HEALTHCHECK, both ports exposed, and `node dist/main.js` (with the
 * server's node options) as PID 1.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { NODE_OPTIONS } from "../../src/server/v8-defaults.js";
import { ADMIN_PORT, PUBLIC_PORT } from "./defaults.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  name: string | undefined;
  from: string;
  body: Instruction[];
}

/** Instructions with continuation lines joined and comments dropped; global ARG defaults substituted. */
function parseDockerfile(text: string): { args: Map<string, string>; stages: Stage[] } {
  const lines: string[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    if (/^\s*#/.test(raw)) continue;
    const line = raw.replace(/\s+$/, "");
    if (line.endsWith("\\")) {
      pending += line.slice(0, -1); // as docker does: the backslash-newline goes, nothing replaces it
      continue;
    }
    const joined = (pending + line).trim();
    pending = "";
    if (joined) lines.push(joined);
  }
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of lines) {
    const m = /^(\S+)\s+([\s\S]*)$/.exec(line);
    if (!m) continue;
    const op = m[1]!.toUpperCase();
    const rest = m[2]!;
    if (op === "ARG" && stages.length === 0) {
      const [k, v] = rest.split("=", 2);
      args.set(k!.trim(), (v ?? "").trim());
    } else if (op === "FROM") {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest)!;
      const from = f[1]!.replace(/^\$\{?(\w+)\}?$/, (_, name: string) => args.get(name) ?? "");
      stages.push({ name: f[2]?.toLowerCase(), from, body: [] });
    } else {
      stages.at(-1)?.body.push({ op, args: rest });
    }
  }
  return { args, stages };
}

const dockerfile = fs.readFileSync(path.join(ROOT, "Dockerfile"), "utf8");
const { stages } = parseDockerfile(dockerfile);
const stageNamed = (name: string) => stages.find((s) => s.name === name);
const runtime = stages.at(-1)!;

/** The stage and every stage it is built FROM, base first. */
function lineage(stage: Stage): Stage[] {
  const base = stageNamed(stage.from);
  return base ? [...lineage(base), stage] : [stage];
}
const all = (stage: Stage) => lineage(stage).flatMap((s) => s.body);

describe("Dockerfile", () => {
  it("is multi-stage, every external base pinned by full version (and digest if any), never :latest", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const external = stages.filter((s) => !stageNamed(s.from));
    expect(external.length).toBeGreaterThan(0);
    for (const s of external) {
      expect(s.from, `FROM ${s.from}`).toMatch(/^node:\d+\.\d+\.\d+-[a-z0-9.-]+(@sha256:[0-9a-f]{64})?$/);
    }
    // The runtime starts from the bare base, not from a stage holding build tools or dev dependencies.
    expect(stageNamed(runtime.from)).toBeUndefined();
  });

  it("compiles in a build stage: npm ci (with patches/ copied first), then npm run build", () => {
    const distCopy = runtime.body.find((i) => i.op === "COPY" && /--from=(\S+)\s+\/app\/dist\s/.test(i.args));
    expect(distCopy, "runtime copies /app/dist from a stage").toBeDefined();
    const buildStage = stageNamed(/--from=(\S+)/.exec(distCopy!.args)![1]!.toLowerCase())!;
    const runs = all(buildStage)
      .filter((i) => i.op === "RUN")
      .map((i) => i.args);
    const ci = runs.findIndex((r) => /\bnpm ci\b/.test(r));
    expect(ci).toBeGreaterThanOrEqual(0);
    expect(runs.findIndex((r) => /\bnpm run build\b/.test(r))).toBeGreaterThan(ci);
  });

  it("every npm ci has patches/ copied before it (its postinstall applies them)", () => {
    for (const stage of stages) {
      const body = all(stage);
      body.forEach((instruction, index) => {
        if (instruction.op !== "RUN" || !/\bnpm ci\b/.test(instruction.args)) return;
        const before = body.slice(0, index);
        expect(
          before.some((i) => i.op === "COPY" && /^patches\s/.test(i.args)),
          `stage ${stage.name}`,
        ).toBe(true);
        const lockfile = before.some((i) => i.op === "COPY" && /package-lock\.json/.test(i.args));
        expect(lockfile, `stage ${stage.name}`).toBe(true);
      });
    }
  });

  it("ships production dependencies only: node_modules from npm ci --omit=dev, no tsx, no TypeScript sources", () => {
    const fromStages = runtime.body.filter((i) => i.op === "COPY" && /\/node_modules\b/.test(i.args));
    const ownInstall = runtime.body.filter((i) => i.op === "RUN" && /\bnpm (ci|install)\b/.test(i.args));
    expect(fromStages.length + ownInstall.length).toBe(1);
    const installs = fromStages.length
      ? all(stageNamed(/--from=(\S+)/.exec(fromStages[0]!.args)![1]!.toLowerCase())!).filter((i) => i.op === "RUN")
      : ownInstall;
    const npmInstalls = installs.filter((i) => /\bnpm (ci|install)\b/.test(i.args));
    expect(npmInstalls.length).toBe(1);
    expect(npmInstalls[0]!.args).toMatch(/\bnpm ci --omit=dev\b/);

    const manifest = fs.readFileSync(path.join(ROOT, "package.json"), "utf8");
    const pkg = JSON.parse(manifest) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).not.toContain("tsx");
    expect(Object.keys(pkg.dependencies)).not.toContain("typescript");
    const runtimeText = runtime.body.map((i) => `${i.op} ${i.args}`).join("\n");
    expect(runtimeText).not.toMatch(/\btsx\b/);
    expect(runtimeText).not.toMatch(/^COPY\s+(--\S+\s+)*(src|gen|tsconfig[\w.]*)\s/m);
  });

  it("runs node dist/main.js, with the server's node options, as PID 1 (exec form, no npm) as a non-root user", () => {
    const cmd = runtime.body.filter((i) => i.op === "CMD").at(-1);
    expect(JSON.parse(cmd!.args)).toEqual(["node", ...NODE_OPTIONS, "dist/main.js"]);
    expect(runtime.body.some((i) => i.op === "ENTRYPOINT")).toBe(false);
    const user = runtime.body.filter((i) => i.op === "USER").at(-1)?.args;
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user!.split(":")[0])).toBeGreaterThan(0);
  });

  it("declares the data volume as the embedded database's directory, owned by that user", () => {
    const env = runtime.body
      .filter((i) => i.op === "ENV")
      .map((i) => i.args)
      .join(" ");
    expect(env).toMatch(/\bMEMORIC_DATA_DIR=\/data\b/);
    expect(runtime.body.some((i) => i.op === "VOLUME" && /"\/data"|^\/data$/.test(i.args))).toBe(true);
    const uid = runtime.body
      .filter((i) => i.op === "USER")
      .at(-1)!
      .args.split(":")[0]!;
    const chown = new RegExp(`chown ${uid}(:\\d+)? /data\\b`);
    expect(runtime.body.some((i) => i.op === "RUN" && chown.test(i.args))).toBe(true);
  });

  it("has a HEALTHCHECK on the liveness route and exposes the public and admin ports", () => {
    const health = runtime.body.find((i) => i.op === "HEALTHCHECK");
    expect(health?.args).toMatch(/\bCMD\b.*\/healthz/);
    const env = runtime.body
      .filter((i) => i.op === "ENV")
      .map((i) => i.args)
      .join(" ");
    expect(env).toMatch(new RegExp(`\\bPORT=${PUBLIC_PORT}\\b`));
    const exposed = runtime.body
      .filter((i) => i.op === "EXPOSE")
      .flatMap((i) => i.args.split(/\s+/))
      .map((p) => Number.parseInt(p, 10));
    expect(exposed).toEqual(expect.arrayContaining([PUBLIC_PORT, ADMIN_PORT]));
  });

  it("copies only paths that exist and that .dockerignore lets into the build context", () => {
    const ignored = fs
      .readFileSync(path.join(ROOT, ".dockerignore"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    for (const copy of stages.flatMap((s) => s.body).filter((i) => i.op === "COPY" && !/--from=/.test(i.args))) {
      const sources = copy.args
        .split(/\s+/)
        .filter((a) => !a.startsWith("--"))
        .slice(0, -1);
      for (const source of sources) {
        expect(fs.existsSync(path.join(ROOT, source)), `COPY ${source}`).toBe(true);
        expect(ignored, `COPY ${source} is excluded by .dockerignore`).not.toContain(source);
      }
    }
  });
});

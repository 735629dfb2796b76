/**
 * Spec: deploy/kubernetes renders (every resource the kustomization lists exists and parses) and
 * keeps its invariants: gRPC probes on the `liveness`/`readiness` services at config's default PORT;
 * the admin port equal to MEMORIC_ADMIN_PORT's default, scraped through its own annotated Service and
 * admitted only from the monitoring namespace; a restricted securityContext matching the image's
 * user; terminationGracePeriodSeconds above MEMORIC_SHUTDOWN_GRACE_MS plus the preStop sleep; one
 * pinned image; HPA, PDB and NetworkPolicy selecting the pods. The rendering is the YAML parsed here
 * (with the kustomization's images: applied), and `kubectl kustomize` as well where kubectl exists.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { ADMIN_PORT, PUBLIC_PORT, SHUTDOWN_GRACE_MS } from "./defaults.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const DIR = path.join(ROOT, "deploy/kubernetes");

// Manifests are untyped data: the checks below navigate them loosely and assert what they need.
type Doc = any;

function parseDocs(text: string, source: string): Doc[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`${source}: ${d.errors.map((e) => e.message).join("; ")}`);
      return d.toJS() as Doc;
    })
    .filter((d) => d !== null);
}

const readDocs = (file: string): Doc[] => parseDocs(fs.readFileSync(path.join(DIR, file), "utf8"), file);
const kustomization: Doc = readDocs("kustomization.yaml")[0];

/** The kustomization's resources with its images: transformer applied (all this kit uses). */
function renderHere(): Doc[] {
  const docs = (kustomization.resources as string[]).flatMap(readDocs);
  for (const doc of docs) {
    for (const c of doc.spec?.template?.spec?.containers ?? []) {
      const [name] = String(c.image).split(/[:@]/);
      const rule = (kustomization.images ?? []).find((i: Doc) => i.name === name);
      if (rule) c.image = `${rule.newName ?? name}${rule.digest ? `@${rule.digest}` : `:${rule.newTag}`}`;
    }
  }
  return docs;
}

function renderKubectl(): Doc[] | undefined {
  const out = spawnSync("kubectl", ["kustomize", DIR], { encoding: "utf8", timeout: 60_000 });
  if (out.error && (out.error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
  expect(out.stderr).toBe("");
  expect(out.status).toBe(0);
  return parseDocs(out.stdout, "kubectl kustomize");
}

function imageUser(): number {
  const users = [...fs.readFileSync(path.join(ROOT, "Dockerfile"), "utf8").matchAll(/^USER\s+(\d+)/gm)];
  return Number(users.at(-1)![1]);
}

const labelsMatch = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

function checkInvariants(docs: Doc[]): void {
  const one = (kind: string, name?: string) => {
    const found = docs.filter((d) => d.kind === kind && (name === undefined || d.metadata.name === name));
    expect(found, `${kind} ${name ?? ""}`).toHaveLength(1);
    return found[0]!;
  };
  const deployment = one("Deployment");
  const pod = deployment.spec.template;
  const podLabels = pod.metadata.labels as Record<string, string>;
  expect(labelsMatch(deployment.spec.selector.matchLabels, podLabels)).toBe(true);
  const [container] = pod.spec.containers;
  const configMap = one("ConfigMap");
  const env: Record<string, string> = { ...configMap.data };
  for (const e of container.env ?? []) env[e.name] = e.value;
  for (const ref of container.envFrom ?? []) {
    if (ref.configMapRef) expect(ref.configMapRef.name).toBe(configMap.metadata.name);
  }

  // Ports: the config defaults, and the settings the pod actually gets agree with them.
  const port = (name: string) => container.ports.find((p: Doc) => p.name === name)?.containerPort;
  expect(port("grpc")).toBe(PUBLIC_PORT);
  expect(port("admin")).toBe(ADMIN_PORT);
  expect(Number(env.PORT ?? PUBLIC_PORT)).toBe(PUBLIC_PORT);
  expect(Number(env.MEMORIC_ADMIN_PORT ?? ADMIN_PORT)).toBe(ADMIN_PORT);

  // Probes: native gRPC health checks on the public port.
  expect(container.livenessProbe.grpc).toEqual({ port: PUBLIC_PORT, service: "liveness" });
  expect(container.readinessProbe.grpc).toEqual({ port: PUBLIC_PORT, service: "readiness" });
  expect(container.startupProbe.grpc).toEqual({ port: PUBLIC_PORT, service: "liveness" });

  // Security: non-root as the image's user, read-only root, no capabilities, default seccomp.
  const podSec = pod.spec.securityContext ?? {};
  const sec = { ...podSec, ...container.securityContext };
  expect(sec.runAsNonRoot).toBe(true);
  expect(sec.runAsUser).toBe(imageUser());
  expect(sec.readOnlyRootFilesystem).toBe(true);
  expect(sec.allowPrivilegeEscalation).toBe(false);
  expect(sec.capabilities.drop).toEqual(["ALL"]);
  expect(sec.seccompProfile).toEqual({ type: "RuntimeDefault" });
  expect(pod.spec.automountServiceAccountToken).toBe(false);
  // Writable scratch space only through volumes.
  for (const m of container.volumeMounts ?? []) {
    expect(pod.spec.volumes.find((v: Doc) => v.name === m.name)?.emptyDir, m.mountPath).toBeDefined();
  }

  // Shutdown: the kubelet's SIGKILL comes only after the preStop sleep and the drain.
  const grace = Number(env.MEMORIC_SHUTDOWN_GRACE_MS ?? SHUTDOWN_GRACE_MS) / 1000;
  const preStop = container.lifecycle.preStop;
  const sleep = preStop.sleep
    ? Number(preStop.sleep.seconds)
    : Number(/^sleep (\d+)$/.exec((preStop.exec.command as string[]).join(" "))![1]);
  expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThan(grace + sleep);

  // One pinned image everywhere.
  const images = docs
    .flatMap((d) => [...(d.spec?.template?.spec?.containers ?? []), ...(d.spec?.template?.spec?.initContainers ?? [])])
    .map((c: Doc) => c.image as string);
  expect(new Set(images).size).toBe(1);
  expect(images[0]).toMatch(/^[\w./-]+(:[\w.-]+|@sha256:[0-9a-f]{64})$/);
  expect(images[0]).not.toMatch(/:latest$/);

  // Services: the public one never exposes the admin port; the admin one is annotated for scraping.
  const publicService = one("Service", "memoric");
  const adminService = one("Service", "memoric-admin");
  for (const s of [publicService, adminService]) expect(labelsMatch(s.spec.selector, podLabels)).toBe(true);
  const target = (p: Doc) => (typeof p.targetPort === "string" ? port(p.targetPort) : p.targetPort);
  expect(publicService.spec.ports.map(target)).toEqual([PUBLIC_PORT]);
  expect(adminService.spec.ports.map(target)).toEqual([ADMIN_PORT]);
  expect(adminService.metadata.annotations).toMatchObject({
    "prometheus.io/scrape": "true",
    "prometheus.io/port": String(ADMIN_PORT),
    "prometheus.io/path": "/metrics",
  });

  // Availability: the autoscaler drives this Deployment, the budget never blocks a drain.
  const hpa = one("HorizontalPodAutoscaler");
  expect(hpa.apiVersion).toBe("autoscaling/v2");
  expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: "Deployment", name: deployment.metadata.name });
  expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
  expect(deployment.spec.replicas, "replicas belong to the HPA").toBeUndefined();
  const pdb = one("PodDisruptionBudget");
  expect(pdb.apiVersion).toBe("policy/v1");
  expect(labelsMatch(pdb.spec.selector.matchLabels, podLabels)).toBe(true);
  if (pdb.spec.minAvailable !== undefined) expect(pdb.spec.minAvailable).toBeLessThan(hpa.spec.minReplicas);
  else expect(pdb.spec.maxUnavailable).toBeGreaterThanOrEqual(1);

  // Network: public port from anywhere, admin port from the monitoring namespace only, egress to
  // PostgreSQL and DNS only.
  const policy = one("NetworkPolicy");
  expect(labelsMatch(policy.spec.podSelector.matchLabels, podLabels)).toBe(true);
  expect(policy.spec.policyTypes).toEqual(["Ingress", "Egress"]);
  const rulesFor = (rules: Doc[], p: number) => rules.filter((r) => (r.ports ?? []).some((x: Doc) => x.port === p));
  const ingress = policy.spec.ingress as Doc[];
  expect(
    ingress.every((r) => (r.ports ?? []).length > 0),
    "every ingress rule names its ports",
  ).toBe(true);
  expect(rulesFor(ingress, PUBLIC_PORT)).toHaveLength(1);
  const adminRules = rulesFor(ingress, ADMIN_PORT);
  expect(adminRules).toHaveLength(1);
  const monitoring = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } };
  expect(adminRules[0].from).toEqual([monitoring]);
  const egressPorts = (policy.spec.egress as Doc[])
    .flatMap((r) => r.ports.map((p: Doc) => `${p.protocol}/${p.port}`))
    .sort();
  expect(egressPorts).toEqual(["TCP/53", "TCP/5432", "UDP/53"]);
}

describe("deploy/kubernetes", () => {
  it("lists only files that exist, and every manifest in the directory is listed or a documented extra", () => {
    const listed = kustomization.resources as string[];
    for (const file of listed) expect(fs.existsSync(path.join(DIR, file)), file).toBe(true);
    const present = fs.readdirSync(DIR).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
    expect(present.filter((f) => !listed.includes(f))).toEqual(["secret.example.yaml"]);
  });

  it("keeps its invariants (YAML parsed here)", () => {
    checkInvariants(renderHere());
  });

  it("keeps its invariants as rendered by kubectl kustomize (where kubectl is installed)", (ctx) => {
    const docs = renderKubectl();
    if (!docs) return ctx.skip();
    checkInvariants(docs);
    const names = (list: Doc[]) => list.map((d) => `${d.kind}/${d.metadata.name}`).sort();
    expect(names(docs)).toEqual(names(renderHere()));
  });

  it("the ServiceMonitor example scrapes /metrics on the admin Service's port", () => {
    const [monitor] = readDocs("examples/servicemonitor.yaml");
    expect(monitor.apiVersion).toBe("monitoring.coreos.com/v1");
    const admin = renderHere().find((d) => d.kind === "Service" && d.metadata.name === "memoric-admin");
    const publicService = renderHere().find((d) => d.kind === "Service" && d.metadata.name === "memoric");
    expect(labelsMatch(monitor.spec.selector.matchLabels, admin.metadata.labels)).toBe(true);
    expect(labelsMatch(monitor.spec.selector.matchLabels, publicService.metadata.labels)).toBe(false);
    const endpoint = expect.objectContaining({ port: admin.spec.ports[0].name, path: "/metrics" });
    expect(monitor.spec.endpoints).toEqual([endpoint]);
  });
});

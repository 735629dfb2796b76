/**
 * The layering of src/, checked on every file's imports (parsed with the TypeScript compiler):
 * each top-level module (a folder under src/, or a file at its root) may import only the modules
 * listed for it below, no file may take part in an import cycle, and SQL (a `sql`/`tx` tagged
 * template) is written only under src/store/. gen/ (generated from proto/) may be imported by all.
 *
 * Breaks that exist today are listed in KNOWN_VIOLATIONS, each with its reason; the test also fails
 * when a listed break is gone, so the list can only shrink.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SRC = path.join(ROOT, "src");

const BASE = ["config", "logger", "version"] as const;
const LOWER = [...BASE, "domain", "security", "metrics"] as const;

/**
 * module -> the modules it may import besides itself and gen/. Nothing but the CLI imports cli/.
 * app-context (the process's shared objects) sits right above store/: it names store, security and
 * metrics types, and every layer that is handed the AppContext (jobs and up) may import it.
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
  version: [],
  config: [],
  logger: ["config", "version"],
  domain: ["config"],
  security: ["domain", "config", "logger"],
  metrics: ["domain", ...BASE],
  // The embedding provider: an HTTP client, beside store/ (neither needs the other).
  embeddings: [...LOWER],
  store: [...LOWER],
  "app-context": ["store", "embeddings", ...LOWER],
  jobs: ["app-context", "store", "embeddings", ...LOWER],
  interceptors: ["app-context", "store", ...LOWER],
  services: ["interceptors", "app-context", "store", "embeddings", ...LOWER],
  server: ["services", "interceptors", "jobs", "app-context", "store", "embeddings", ...LOWER],
  main: ["server", ...BASE],
  cli: ["server", "services", "interceptors", "jobs", "app-context", "store", "embeddings", ...LOWER],
};

/**
 * Today's breaks, each to be removed once fixed (none left). Keys: "layer: <module> -> <file it may
 * not import>", "cycle: <the files of one strongly connected component, sorted>", "sql: <file>".
 */
const KNOWN_VIOLATIONS: Record<string, string> = {};

interface SourceFacts {
  imports: string[]; // repository-relative paths of the files it imports (relative specifiers only)
  sql: number[]; // lines with a `sql`/`tx` tagged template
}

function listSources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return listSources(full);
    return /\.(ts|js|mjs)$/.test(name) && !name.endsWith(".d.ts") ? [full] : [];
  });
}

const rel = (file: string) => path.relative(ROOT, file).split(path.sep).join("/");

function resolveImport(from: string, specifier: string): string {
  const target = path.resolve(path.dirname(from), specifier);
  for (const candidate of [target.replace(/\.js$/, ".ts"), target, `${target}.ts`, path.join(target, "index.ts")]) {
    try {
      if (statSync(candidate).isFile()) return rel(candidate);
    } catch {
      // try the next spelling
    }
  }
  throw new Error(`${rel(from)}: cannot resolve import "${specifier}"`);
}

/** The tag's last name: sql`…`, tx<Row[]>`…`, deps.sql`…` -> "sql" / "tx". */
function tagName(tag: ts.Expression): string | undefined {
  if (ts.isIdentifier(tag)) return tag.text;
  if (ts.isPropertyAccessExpression(tag)) return tag.name.text;
  return undefined;
}

function factsOf(file: string): SourceFacts {
  const text = readFileSync(file, "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const imports: string[] = [];
  const sql: number[] = [];
  const visit = (node: ts.Node): void => {
    let specifier: ts.Expression | undefined;
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) specifier = node.moduleSpecifier;
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      specifier = node.arguments[0];
    } else if (ts.isTaggedTemplateExpression(node) && ["sql", "tx"].includes(tagName(node.tag) ?? "")) {
      sql.push(source.getLineAndCharacterOfPosition(node.getStart()).line + 1);
    }
    if (specifier && ts.isStringLiteralLike(specifier) && specifier.text.startsWith(".")) {
      imports.push(resolveImport(file, specifier.text));
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { imports, sql };
}

/** "src/store/memories.ts" -> "store", "src/config.ts" -> "config", "gen/…" -> "gen". */
function moduleOf(file: string): string {
  const parts = file.split("/");
  if (parts[0] !== "src") return parts[0]!;
  return parts.length === 2 ? parts[1]!.replace(/\.(ts|js|mjs)$/, "") : parts[1]!;
}

/** Tarjan's strongly connected components with more than one file (or a file importing itself). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const connect = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.includes(v)) found.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);
  return found;
}

/** One concrete loop through a component, for the message: a -> b -> … -> a. */
function cyclePath(graph: Map<string, string[]>, component: string[]): string {
  const members = new Set(component);
  const start = component[0]!;
  const seen = new Map<string, string>(); // node -> the node it was reached from
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const loop = [v];
        for (let u = v; u !== start; loop.push(u)) u = seen.get(u)!;
        return [...loop.reverse(), start].join(" -> ");
      }
      if (!seen.has(w)) {
        seen.set(w, v);
        queue.push(w);
      }
    }
  }
  return component.join(" -> ");
}

function violations(): Map<string, string> {
  const found = new Map<string, string>(); // key -> detail
  const graph = new Map<string, string[]>();
  for (const full of listSources(SRC)) {
    const file = rel(full);
    const facts = factsOf(full);
    const from = moduleOf(file);
    const allowed = MAY_IMPORT[from];
    if (!allowed) {
      found.set(`unclassified: ${file}`, `module "${from}" has no entry in MAY_IMPORT (test/architecture.test.ts)`);
    }
    graph.set(file, [...new Set(facts.imports.filter((f) => f.startsWith("src/")))]);
    for (const target of facts.imports) {
      const to = moduleOf(target);
      if (to === from || to === "gen" || allowed?.includes(to)) continue;
      const key = `layer: ${from} -> ${target}`;
      found.set(key, [found.get(key) ?? "imported by", file].join(" "));
    }
    if (facts.sql.length > 0 && from !== "store") {
      found.set(`sql: ${file}`, `SQL outside src/store/ at line ${facts.sql.join(", ")}`);
    }
  }
  for (const component of cycles(graph)) {
    found.set(`cycle: ${component.join(" ")}`, cyclePath(graph, component));
  }
  return found;
}

describe("architecture of src/", () => {
  const found = violations();

  it("every module imports only the layers below it, no file is in an import cycle, SQL stays in store/", () => {
    const unexpected = [...found].filter(([key]) => !(key in KNOWN_VIOLATIONS)).map(([k, why]) => `${k}  (${why})`);
    expect(unexpected, "new violations (fix them; do not list them)").toEqual([]);
  });

  it("every listed known violation still exists (remove the ones that were fixed)", () => {
    expect(Object.keys(KNOWN_VIOLATIONS).filter((key) => !found.has(key))).toEqual([]);
  });

  it("sees the real import graph", () => {
    // Guards the parser: a regression to "no imports found" would pass every rule above.
    expect(factsOf(path.join(SRC, "main.ts")).imports).toContain("src/server/app.ts");
    expect(factsOf(path.join(SRC, "store", "memories.ts")).sql.length).toBeGreaterThan(0);
  });
});

/**
 * No object literal in src/ starts with a spread and goes on (`{ ...base, key }`): under Node 20's V8
 * each such object gets a hidden class of its own (src/domain/objects.ts says what it costs). Name
 * the members first and spread last when they cannot collide, or use overlay() when they override.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sourceFiles(file);
    return file.endsWith(".ts") ? [file] : [];
  });
}

/** `file:line` of every literal whose first member is a spread followed by other members. */
function leadingSpreads(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isObjectLiteralExpression(node)) {
      const [first, ...rest] = node.properties;
      if (first && ts.isSpreadAssignment(first) && rest.length > 0) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart());
        found.push(`${path.relative(SRC, file)}:${line + 1}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe("object literals in src/", () => {
  it("never start with a spread that other members follow", () => {
    const offenders = sourceFiles(SRC).flatMap((file) => leadingSpreads(file, readFileSync(file, "utf8")));
    expect(offenders).toEqual([]);
  });

  it("recognizes the form it forbids, and only that form", () => {
    const hits = (code: string) => leadingSpreads("x.ts", code).length;
    expect(hits("const o = { ...a, b: 1 };")).toBe(1);
    expect(hits("const o = { ...a, ...b };")).toBe(1);
    expect(hits("f({ ...a, b });")).toBe(1);
    expect(hits("const o = { b: 1, ...a };")).toBe(0);
    expect(hits("const o = { ...a };")).toBe(0);
    expect(hits("const o = { b: 1, ...a, c: 2 };")).toBe(0);
  });
});

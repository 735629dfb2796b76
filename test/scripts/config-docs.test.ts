/**
 * Spec: README's configuration table is generated from src/config.ts and current; every setting
 * has a description; a secret's default is a placeholder, never a value; the variables README,
 * docs/ and the deployment files name are all real settings.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { describeConfig, type SettingDoc } from "../../src/config.js";
import {
  documentedSettings,
  README,
  renderConfigTable,
  variablesNamedIn,
  withTable,
} from "../../scripts/config-docs.js";

const ROOT = path.dirname(README);
/** Read by the test suite and CI, not by the service. */
const TEST_ONLY = new Set(["MEMORIC_REQUIRE_INTEROP"]);

const doc = (over: Partial<SettingDoc>): SettingDoc => ({
  variable: "MEMORIC_X",
  default: "1",
  expected: "an integer between 0 and 2",
  description: "X.",
  secret: false,
  ...over,
});

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(full) : [full];
  });
}

describe("configuration docs", () => {
  it("README's table is current (npm run docs:config)", () => {
    const readme = fs.readFileSync(README, "utf8");
    expect(withTable(readme, renderConfigTable(documentedSettings()))).toBe(readme);
  });

  it("documents every setting once, each with a one-line description", () => {
    const docs = describeConfig();
    expect(docs.length).toBeGreaterThan(50);
    expect(new Set(docs.map((d) => d.variable)).size).toBe(docs.length);
    for (const d of docs) {
      expect(d.description.trim(), d.variable).not.toBe("");
      expect(d.description, d.variable).not.toMatch(/\n/);
      expect(d.expected.trim(), d.variable).not.toBe("");
    }
    expect(docs.map((d) => d.variable)).toEqual(expect.arrayContaining(["PORT", "DATABASE_URL", "MEMORIC_ADMIN_PORT"]));
  });

  it("shows a placeholder, never a value, as a secret's default", () => {
    const secrets = describeConfig().filter((d) => d.secret);
    expect(secrets.map((d) => d.variable)).toEqual(
      expect.arrayContaining([
        "MEMORIC_JWT_SECRET",
        "MEMORIC_JWT_PRIVATE_KEY",
        "MEMORIC_KEYSET",
        "MEMORIC_AUDIT_SIGNING_KEY",
        "MEMORIC_BOOTSTRAP_ADMIN_PASSWORD",
        "DATABASE_URL",
      ]),
    );
    for (const s of secrets) expect(s.default, s.variable).toMatch(/^\(.*\)$/);
    expect(describeConfig().find((d) => d.variable === "MEMORIC_JWT_SECRET")!.default).toBe("(required in production)");
    expect(() => renderConfigTable([doc({ secret: true, default: "hunter2" })])).toThrow(/secret/);
  });

  it("refuses a setting without a description", () => {
    expect(() => renderConfigTable([doc({ description: " " })])).toThrow(/MEMORIC_X has no description/);
  });

  it("escapes pipes so a cell cannot split the table", () => {
    const table = renderConfigTable([doc({ expected: "on|off" })]);
    expect(table).toContain("| `MEMORIC_X` | `1` | on\\|off | X. |");
  });

  it("finds variable names written in the config source, so a conditionally read one is not missed", () => {
    const source = `int(env, "PORT", 1, 0, 2, "d"); if (x) str(env, "MEMORIC_LATE_ONE", "", "a", "d"); l = "info";`;
    expect(variablesNamedIn(source)).toEqual(["PORT", "MEMORIC_LATE_ONE"]);
  });

  it("needs both markers in README", () => {
    expect(() => withTable("no markers here", "table")).toThrow(/markers/);
  });

  it("names only real settings in README, docs/ and the deployment files", () => {
    const documented = new Set(describeConfig().map((d) => d.variable));
    const files = [
      README,
      path.join(ROOT, "Dockerfile"),
      ...filesUnder(path.join(ROOT, "docs")),
      ...filesUnder(path.join(ROOT, "deploy")),
    ];
    const unknown: string[] = [];
    for (const file of files) {
      for (const [name] of fs.readFileSync(file, "utf8").matchAll(/\bMEMORIC_[A-Z0-9_]*[A-Z0-9]\b/g)) {
        if (!documented.has(name) && !TEST_ONLY.has(name)) unknown.push(`${path.relative(ROOT, file)}: ${name}`);
      }
    }
    expect(unknown).toEqual([]);
  });
});

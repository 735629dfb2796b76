/**
 * Renders README's environment-variable table from src/config.ts and src/config/, the one place
 * settings are declared. `npm run docs:config` rewrites the table between the markers; `-- --check` only
 * compares and exits 1 when README is stale (CI).
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describeConfig, type SettingDoc } from "../src/config.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const README = path.join(ROOT, "README.md");
/** Where settings are declared: src/config.ts, which reads the sections in src/config/. */
export function configSources(): string[] {
  const dir = path.join(ROOT, "src/config");
  return [path.join(ROOT, "src/config.ts"), ...fs.readdirSync(dir).map((f) => path.join(dir, f))];
}
export const START = "<!-- config:start -->";
export const END = "<!-- config:end -->";

const cell = (text: string) => text.replace(/\|/g, "\\|");

function defaultCell(doc: SettingDoc): string {
  // A placeholder says what happens when unset; a secret only ever has one.
  const placeholder = doc.default.startsWith("(") && doc.default.endsWith(")");
  if (doc.secret && !placeholder) {
    throw new Error(`${doc.variable} is a secret: its default must be a "(…)" placeholder`);
  }
  return placeholder ? cell(doc.default) : `\`${cell(doc.default)}\``;
}

export function renderConfigTable(docs: SettingDoc[]): string {
  const rows = docs.map((d) => {
    if (d.description.trim() === "") throw new Error(`${d.variable} has no description`);
    return `| \`${d.variable}\` | ${defaultCell(d)} | ${cell(d.expected)} | ${cell(d.description)} |`;
  });
  return [
    "<!-- Generated from src/config.ts and src/config/ by `npm run docs:config`; edit the descriptions there. -->",
    "",
    "| variable | default | expected | description |",
    "| --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}

/**
 * Variable names written as string literals in the config sources: each must be documented, so a
 * setting read behind a condition (which describeConfig's empty run would miss) is still caught.
 */
export function variablesNamedIn(source: string): string[] {
  return [...new Set([...source.matchAll(/"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)"/g)].map((m) => m[1]!))];
}

export function documentedSettings(): SettingDoc[] {
  const docs = describeConfig();
  const declared = new Set(docs.map((d) => d.variable));
  const named = configSources().flatMap((file) => variablesNamedIn(fs.readFileSync(file, "utf8")));
  const missing = [...new Set(named)].filter((v) => !declared.has(v));
  if (missing.length > 0) {
    throw new Error(`named in src/config* but not read on an empty environment: ${missing.join(", ")}`);
  }
  return docs;
}

export function withTable(readme: string, table: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md needs the markers ${START} and ${END}, in that order`);
  // The blank line ends the table before the closing marker.
  return `${readme.slice(0, start + START.length)}\n${table}\n\n${readme.slice(end)}`;
}

function main(args: string[]): number {
  const readme = fs.readFileSync(README, "utf8");
  const next = withTable(readme, renderConfigTable(documentedSettings()));
  if (args.includes("--check")) {
    if (next === readme) return 0;
    process.stderr.write("README.md's configuration table is stale: run `npm run docs:config` and commit it.\n");
    return 1;
  }
  if (next !== readme) fs.writeFileSync(README, next);
  process.stdout.write(`README.md configuration table ${next === readme ? "already current" : "updated"}\n`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`config-docs: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}

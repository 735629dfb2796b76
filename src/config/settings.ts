/**
 * How a setting is read: each helper declares the variable (name, default, expected form, one line of
 * description: README's table is rendered from these) and parses it, or stops start-up with a
 * ConfigError naming the variable and the expected form.
 */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    expected: string,
    got: string,
  ) {
    super(`${variable}: expected ${expected}, got ${JSON.stringify(got.length > 80 ? got.slice(0, 80) + "…" : got)}`);
    this.name = "ConfigError";
  }
}

export type Env = Record<string, string | undefined>;

/**
 * One setting as a reader sees it; README's table is rendered from these (scripts/config-docs.ts),
 * so the name, default and expected form cannot drift from the parser that enforces them.
 */
export interface SettingDoc {
  variable: string;
  /** As shown to a reader; a secret's is a placeholder, never a value. */
  default: string;
  /** The expected form, in the words a ConfigError uses. */
  expected: string;
  /** One line: what the setting does. Mandatory. */
  description: string;
  secret: boolean;
}

/** The environment, plus a recorder when describeConfig() asks every helper what it reads. */
export interface Source {
  vars: Env;
  declare?: (doc: SettingDoc) => void;
}

/** Declares the setting, then returns its raw value; empty counts as unset. */
function read(env: Source, doc: SettingDoc): string | undefined {
  env.declare?.(doc);
  const raw = env.vars[doc.variable];
  return raw === undefined || raw === "" ? undefined : raw;
}

const setting = (variable: string, def: string, expected: string, description: string, secret = false): SettingDoc => ({
  variable,
  default: def,
  expected,
  description,
  secret,
});

/** Secrets: production refuses to start without them; embedded development generates its own. */
const REQUIRED_IN_PRODUCTION = "(required in production)";

export function int(env: Source, name: string, def: number, min: number, max: number, doc: string): number {
  const expected = `an integer between ${min} and ${max}`;
  const raw = read(env, setting(name, String(def), expected, doc));
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(name, expected, raw);
  }
  return n;
}

/** shownDefault: for a default that is not a constant (e.g. another variable's value). */
export function str(env: Source, name: string, def: string, expected: string, doc: string, shownDefault = def): string {
  return read(env, setting(name, shownDefault, expected, doc)) ?? def;
}

export function list(env: Source, name: string, expected: string, doc: string): string[] {
  return (read(env, setting(name, "(empty)", expected, doc)) ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

export function origins(env: Source, name: string, doc: string): string[] {
  const expected = "a comma-separated list of origins like https://app.example.com";
  const values = list(env, name, `${expected}, or *`, doc);
  for (const v of values) {
    if (v === "*") continue;
    let ok = false;
    try {
      const u = new URL(v);
      ok = (u.protocol === "http:" || u.protocol === "https:") && u.origin === v;
    } catch {
      ok = false;
    }
    if (!ok) throw new ConfigError(name, expected, v);
  }
  return values;
}

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function float(env: Source, name: string, def: number, min: number, max: number, doc: string): number {
  const expected = `a number between ${min} and ${max}`;
  const raw = read(env, setting(name, String(def), expected, doc));
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new ConfigError(name, expected, raw);
  return n;
}

export function bool(env: Source, name: string, def: boolean, doc: string): boolean {
  const raw = read(env, setting(name, def ? "on" : "off", "on|off", doc));
  if (raw === undefined) return def;
  if (/^(1|true|on|yes)$/i.test(raw)) return true;
  if (/^(0|false|off|no)$/i.test(raw)) return false;
  throw new ConfigError(name, "on|off", raw);
}

export function optional(env: Source, name: string, expected: string, doc: string): string | undefined {
  return read(env, setting(name, "(unset)", expected, doc));
}

/** Never shows a value: the default column says what happens without it. */
export function secret(
  env: Source,
  name: string,
  expected: string,
  doc: string,
  whenUnset = REQUIRED_IN_PRODUCTION,
): string | undefined {
  return read(env, setting(name, whenUnset, expected, doc, true));
}

/** PEM values often arrive through env files with literal "\n". */
export function pem(env: Source, name: string, doc: string, whenUnset: string): string | undefined {
  const raw = secret(env, name, "a PEM block (literal \\n allowed)", doc, whenUnset);
  return raw?.includes("\\n") ? raw.replace(/\\n/g, "\n") : raw;
}

/** A port number (0 = ephemeral), or "off" for none. */
export function optionalPort(env: Source, name: string, def: number, doc: string): number | undefined {
  const expected = "an integer between 0 and 65535, or off";
  const raw = read(env, setting(name, String(def), expected, doc));
  if (raw === undefined) return def;
  if (/^off$/i.test(raw)) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new ConfigError(name, expected, raw);
  }
  return n;
}

export function logLevel(env: Source, name: string, doc: string): LogLevel {
  const v = read(env, setting(name, "info", LOG_LEVELS.join("|"), doc)) ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(v)) throw new ConfigError(name, LOG_LEVELS.join("|"), v);
  return v as LogLevel;
}

export function databaseUrl(env: Source, name: string, doc: string): string | undefined {
  const expected = "a postgres://user:password@host:port/database URL";
  const raw = read(env, setting(name, "(unset: embedded PGlite)", expected, doc, true));
  if (raw === undefined) return undefined;
  try {
    const u = new URL(raw);
    if (u.protocol === "postgres:" || u.protocol === "postgresql:") return raw;
  } catch {
    // fall through to the error below, without echoing a URL that may hold a password
  }
  throw new ConfigError(name, expected, "<redacted>");
}

export const MIB = 1024 * 1024;

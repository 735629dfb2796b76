/**
 * Resolves the deployment's secrets. Production (DATABASE_URL set) refuses to start when one is
 * missing or weak. Only the embedded dev mode may generate its own, once, into
 * <data dir>/secrets.json with 0600 permissions, reused on every restart.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Config } from "../config.js";
import { ConfigError } from "../config.js";
import { MasterKeyring } from "./crypto.js";

export interface DeploymentSecrets {
  jwt: { secret?: string; privateKeyPem?: string };
  /** Wraps every user's data key; undefined only when encryption is off and no keyset is given. */
  keyring: MasterKeyring | undefined;
  /** Signs audit checkpoints; never stored in the database. */
  auditKey: Buffer;
  /** Per-deployment salt for HMACs of identifiers (e.g. an attempted username) in audit rows and limiter keys. */
  identifierSalt: Buffer;
}

const MIN_SECRET_BYTES = 32;

function decodeKey(value: string): Buffer {
  return value.startsWith("base64:") ? Buffer.from(value.slice(7), "base64") : Buffer.from(value, "utf8");
}

/** Rejects short secrets and obvious placeholders ("aaaa…", "changeme…"). */
function assertStrong(variable: string, value: string): void {
  const bytes = decodeKey(value);
  const distinct = new Set(bytes).size;
  if (bytes.length < MIN_SECRET_BYTES || distinct < 10 || /change.?me|secret|example|placeholder/i.test(value)) {
    throw new ConfigError(
      variable,
      `at least ${MIN_SECRET_BYTES} random bytes (e.g. base64:$(openssl rand -base64 48))`,
      "<weak or placeholder secret>",
    );
  }
}

interface GeneratedSecrets {
  jwtSecret: string;
  keyset: string;
  auditSigningKey: string;
}

async function devSecrets(dataDir: string): Promise<GeneratedSecrets> {
  const file = path.join(dataDir, "secrets.json");
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8")) as GeneratedSecrets;
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const generated: GeneratedSecrets = {
    jwtSecret: `base64:${crypto.randomBytes(48).toString("base64")}`,
    keyset: (await MasterKeyring.generate()).toBase64(),
    auditSigningKey: `base64:${crypto.randomBytes(48).toString("base64")}`,
  };
  // wx: never overwrite secrets another process just wrote.
  fs.writeFileSync(file, JSON.stringify(generated, null, 2), { mode: 0o600, flag: "wx" });
  return generated;
}

export async function resolveSecrets(config: Config): Promise<DeploymentSecrets> {
  const s = config.secrets;
  const production = config.databaseUrl !== undefined;
  const dev = production ? undefined : await devSecrets(config.dataDir);

  let jwt: DeploymentSecrets["jwt"];
  if (s.jwtPrivateKeyPem !== undefined) {
    jwt = { privateKeyPem: s.jwtPrivateKeyPem };
  } else if (s.jwtSecret !== undefined) {
    assertStrong("MEMORIC_JWT_SECRET", s.jwtSecret);
    jwt = { secret: s.jwtSecret };
  } else if (dev) {
    jwt = { secret: dev.jwtSecret };
  } else {
    throw new ConfigError(
      "MEMORIC_JWT_SECRET",
      "a secret of at least 32 random bytes, or MEMORIC_JWT_PRIVATE_KEY (PKCS#8 Ed25519/P-256 PEM)",
      "",
    );
  }

  let keysetBase64 = s.keysetBase64;
  if (keysetBase64 === undefined && s.keysetFile !== undefined) {
    try {
      keysetBase64 = fs.readFileSync(s.keysetFile, "utf8").trim();
    } catch {
      throw new ConfigError("MEMORIC_KEYSET_FILE", "a readable file holding the base64 keyset", s.keysetFile);
    }
  }
  keysetBase64 ??= dev?.keyset;
  if (keysetBase64 === undefined && config.memory.encryption) {
    throw new ConfigError(
      "MEMORIC_KEYSET",
      "base64 of a Tink AES-256-GCM keyset (generate one with `memoric keys generate`)",
      "",
    );
  }
  let keyring: MasterKeyring | undefined;
  if (keysetBase64 !== undefined) {
    try {
      keyring = await MasterKeyring.fromBase64(keysetBase64);
    } catch (err) {
      throw new ConfigError(
        s.keysetBase64 !== undefined ? "MEMORIC_KEYSET" : "MEMORIC_KEYSET_FILE",
        "base64 of a Tink AES-256-GCM keyset",
        `<${(err as Error).name}>`,
      );
    }
  }

  let auditKeyText = s.auditSigningKey;
  if (auditKeyText !== undefined) assertStrong("MEMORIC_AUDIT_SIGNING_KEY", auditKeyText);
  auditKeyText ??= dev?.auditSigningKey;
  if (auditKeyText === undefined) {
    throw new ConfigError(
      "MEMORIC_AUDIT_SIGNING_KEY",
      "a secret of at least 32 random bytes (signs audit checkpoints)",
      "",
    );
  }
  const auditKey = decodeKey(auditKeyText);
  const identifierSalt = Buffer.from(
    crypto.hkdfSync("sha256", auditKey, Buffer.alloc(0), "memoric/identifier-salt/v1", 32),
  );
  return { jwt, keyring, auditKey, identifierSalt };
}

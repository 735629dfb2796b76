/**
 * Spec: production mode (DATABASE_URL set) refuses to start with missing or weak secrets; only the
 * embedded dev mode generates its own, once, into the data directory with 0600 permissions.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { resolveSecrets } from "../../src/security/deployment-secrets.js";
import { testSecretsEnv } from "../support/secrets.js";

const PROD = { DATABASE_URL: "postgres://memoric@db.internal:5432/memoric" };

async function rejectionOf(env: Record<string, string>): Promise<ConfigError> {
  const err = await resolveSecrets(loadConfig(env)).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

describe("production mode", () => {
  it("starts with strong secrets", async () => {
    const s = await resolveSecrets(loadConfig({ ...PROD, ...(await testSecretsEnv()) }));
    expect(s.jwt.secret).toBeDefined();
    expect(s.keyring).toBeDefined();
    expect(s.auditKey.length).toBeGreaterThanOrEqual(32);
  });

  it.each(["MEMORIC_JWT_SECRET", "MEMORIC_KEYSET", "MEMORIC_AUDIT_SIGNING_KEY"])(
    "refuses to start without %s",
    async (variable) => {
      const env = { ...PROD, ...(await testSecretsEnv()) };
      delete (env as Record<string, string>)[variable];
      expect((await rejectionOf(env)).variable).toBe(variable);
    },
  );

  it.each([
    ["too short", "short-secret"],
    ["a placeholder", "changeme-changeme-changeme-changeme-changeme"],
    ["low entropy", "a".repeat(64)],
  ])("refuses a JWT secret that is %s", async (_why, value) => {
    const err = await rejectionOf({ ...PROD, ...(await testSecretsEnv()), MEMORIC_JWT_SECRET: value });
    expect(err.variable).toBe("MEMORIC_JWT_SECRET");
    expect(err.message).not.toContain(value); // the error never echoes a secret
  });

  it("refuses a keyset that is not a Tink keyset", async () => {
    const err = await rejectionOf({
      ...PROD,
      ...(await testSecretsEnv()),
      MEMORIC_KEYSET: Buffer.from("not a keyset").toString("base64"),
    });
    expect(err.variable).toBe("MEMORIC_KEYSET");
  });
});

describe("embedded dev mode", () => {
  it("generates secrets once, 0600, and reuses them on restart", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "memoric-secrets-"));
    try {
      const first = await resolveSecrets(loadConfig({ MEMORIC_DATA_DIR: dir }));
      const file = path.join(dir, "secrets.json");
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      const second = await resolveSecrets(loadConfig({ MEMORIC_DATA_DIR: dir }));
      expect(second.jwt.secret).toBe(first.jwt.secret);
      expect(second.keyring!.toBase64()).toBe(first.keyring!.toBase64());
      expect(second.auditKey.equals(first.auditKey)).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

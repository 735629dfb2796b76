/** Spec: one typed config module; a bad value names the variable and the expected form. */
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("has working defaults: port 8080, embedded database in ./data, 4 MiB messages", () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.dataDir).toMatch(/\/data$/);
    expect(c.limits.maxMessageBytes).toBe(4 * 1024 * 1024);
    expect(c.auth.accessTtlSeconds).toBe(900);
    expect(c.auth.bcryptCost).toBe(12);
    expect(c.db).toMatchObject({
      poolMax: 10,
      acquireTimeoutMs: 2000,
      maxConcurrentPerPrincipal: 0,
      statementTimeoutMs: 10_000,
    });
  });

  it.each([
    ["PORT", "eighty", "an integer between 0 and 65535"],
    ["PORT", "70000", "an integer between 0 and 65535"],
    ["MEMORIC_MAX_MESSAGE_BYTES", "-1", "an integer"],
    ["MEMORIC_BCRYPT_COST", "4", "an integer between 10"],
    ["MEMORIC_PASSWORD_MIN_LENGTH", "6", "an integer between 8"],
    ["LOG_LEVEL", "loud", "trace|debug|info"],
    ["MEMORIC_ENCRYPTION", "maybe", "on|off"],
    ["MEMORIC_CORS_ORIGINS", "app.example.com", "origins like https://"],
    ["MEMORIC_SEARCH_RELEVANCE_WEIGHT", "heavy", "a number between"],
    ["MEMORIC_ADMIN_PORT", "metrics", "an integer between 0 and 65535, or off"],
    ["MEMORIC_ADMIN_PORT", "8080", "a port other than PORT (8080), or off"],
    ["MEMORIC_DB_ACQUIRE_TIMEOUT_MS", "0", "an integer between 1"],
    ["MEMORIC_DB_MAX_CONCURRENT_PER_PRINCIPAL", "-1", "an integer between 0"],
    ["MEMORIC_DB_STATEMENT_TIMEOUT_MS", "10s", "an integer between 0"],
  ])("%s=%s is refused, naming the variable and the expected form", (variable, value, expected) => {
    const err = errorOf({ [variable]: value });
    expect(err.variable).toBe(variable);
    expect(err.message).toContain(variable);
    expect(err.message).toContain(expected);
  });

  it("puts the admin listener on 9090 beside HOST by default; MEMORIC_ADMIN_PORT=off disables it", () => {
    expect(loadConfig({}).admin).toEqual({ port: 9090, host: "0.0.0.0" });
    expect(loadConfig({ HOST: "10.0.0.5" }).admin).toEqual({ port: 9090, host: "10.0.0.5" });
    const custom = loadConfig({ MEMORIC_ADMIN_PORT: "9100", MEMORIC_ADMIN_HOST: "127.0.0.1" });
    expect(custom.admin).toEqual({ port: 9100, host: "127.0.0.1" });
    expect(loadConfig({ MEMORIC_ADMIN_PORT: "off" }).admin.port).toBeUndefined();
    // Both ephemeral (tests) is fine: the kernel hands out two different ports.
    expect(loadConfig({ PORT: "0", MEMORIC_ADMIN_PORT: "0" }).admin.port).toBe(0);
  });

  it("never echoes a DATABASE_URL (it may hold a password)", () => {
    const err = errorOf({ DATABASE_URL: "mysql://admin:hunter2@db/x" });
    expect(err.variable).toBe("DATABASE_URL");
    expect(err.message).not.toContain("hunter2");
  });

  it("unescapes a PEM key given on one line with literal \\n", () => {
    const c = loadConfig({ MEMORIC_JWT_PRIVATE_KEY: "-----BEGIN PRIVATE KEY-----\\nabc\\n-----END PRIVATE KEY-----" });
    expect(c.secrets.jwtPrivateKeyPem).toBe("-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----");
  });
});

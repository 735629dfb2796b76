/** Secrets, tokens and accounts, and the limits that protect them from abuse. */
import { ConfigError, type Source, int, str, list, optional, secret, pem } from "./settings.js";
import type { Config } from "./schema.js";

export function secretsSettings(env: Source): Config["secrets"] {
  return {
    jwtSecret: secret(
      env,
      "MEMORIC_JWT_SECRET",
      "at least 32 random bytes; base64:… accepted",
      "HS256 key signing tokens, e.g. base64:$(openssl rand -base64 48); or set MEMORIC_JWT_PRIVATE_KEY.",
    ),
    jwtPrivateKeyPem: pem(
      env,
      "MEMORIC_JWT_PRIVATE_KEY",
      "PKCS#8 Ed25519/P-256 key signing tokens instead; /.well-known/jwks.json publishes its public key.",
      "(unset: MEMORIC_JWT_SECRET signs)",
    ),
    keysetBase64: secret(
      env,
      "MEMORIC_KEYSET",
      "base64 of a Tink AES-256-GCM keyset",
      "Master keyset wrapping every user's data key (`memoric keys generate`); or MEMORIC_KEYSET_FILE.",
    ),
    keysetFile: optional(
      env,
      "MEMORIC_KEYSET_FILE",
      "a file path",
      "File holding the base64 keyset, read when MEMORIC_KEYSET is unset.",
    ),
    auditSigningKey: secret(
      env,
      "MEMORIC_AUDIT_SIGNING_KEY",
      "at least 32 random bytes; base64:… accepted",
      "Signs audit checkpoints; never stored in the database.",
    ),
  };
}

export function authSettings(env: Source): Config["auth"] {
  return {
    issuer: str(
      env,
      "MEMORIC_JWT_ISSUER",
      "memoric",
      "a string",
      "Issuer (iss) of the tokens this service signs and accepts.",
    ),
    audience: str(
      env,
      "MEMORIC_JWT_AUDIENCE",
      "memoric-api",
      "a string",
      "Audience (aud) of the tokens this service signs and accepts.",
    ),
    accessTtlSeconds: int(env, "MEMORIC_JWT_ACCESS_TTL_SECONDS", 900, 30, 86_400, "Access token lifetime."),
    refreshTtlSeconds: int(
      env,
      "MEMORIC_JWT_REFRESH_TTL_SECONDS",
      30 * 86_400,
      60,
      365 * 86_400,
      "Refresh token lifetime.",
    ),
    clockSkewSeconds: int(
      env,
      "MEMORIC_JWT_CLOCK_SKEW_SECONDS",
      30,
      0,
      300,
      "Clock difference tolerated on token times.",
    ),
    bcryptCost: int(env, "MEMORIC_BCRYPT_COST", 12, 10, 16, "bcrypt cost of new password hashes."),
    passwordMinLength: int(env, "MEMORIC_PASSWORD_MIN_LENGTH", 12, 8, 64, "Shortest password accepted."),
    revocationCacheMs: int(
      env,
      "MEMORIC_REVOCATION_CACHE_MS",
      1000,
      0,
      60_000,
      "Longest a revocation takes to reach another replica (in-process cache; 0 = none).",
    ),
    bootstrapAdmin: bootstrapAdmin(env),
  };
}

export function abuseSettings(env: Source): Config["abuse"] {
  return {
    rpcPerWindow: int(
      env,
      "MEMORIC_RATE_LIMIT_RPC",
      600,
      1,
      1_000_000,
      "Calls per window per authenticated principal.",
    ),
    endUserRpcPerWindow: int(
      env,
      "MEMORIC_RATE_LIMIT_END_USER_RPC",
      300,
      1,
      1_000_000,
      "Calls per window per end user with a delegated token (counted on top of the account's budget).",
    ),
    anonymousRpcPerWindow: int(
      env,
      "MEMORIC_RATE_LIMIT_ANONYMOUS_RPC",
      120,
      1,
      1_000_000,
      "Calls per window per client address, without credentials.",
    ),
    windowSeconds: int(env, "MEMORIC_RATE_LIMIT_WINDOW_SECONDS", 60, 1, 3600, "Rate-limit window."),
    loginFailuresPerAccount: int(
      env,
      "MEMORIC_LOGIN_MAX_FAILURES",
      10,
      1,
      1000,
      "Failed logins per account within the login window before the account is locked.",
    ),
    loginFailuresPerAddress: int(
      env,
      "MEMORIC_LOGIN_MAX_FAILURES_PER_ADDRESS",
      50,
      1,
      100_000,
      "Failed logins per client address within the login window before the address is locked.",
    ),
    loginWindowSeconds: int(
      env,
      "MEMORIC_LOGIN_WINDOW_SECONDS",
      900,
      1,
      86_400,
      "Window in which failed logins count.",
    ),
    lockoutSeconds: int(
      env,
      "MEMORIC_LOGIN_LOCKOUT_SECONDS",
      60,
      1,
      86_400,
      "First lock; each further lock doubles it.",
    ),
    maxLockoutSeconds: int(env, "MEMORIC_LOGIN_MAX_LOCKOUT_SECONDS", 3600, 1, 7 * 86_400, "Longest lock."),
    trustedProxies: list(
      env,
      "MEMORIC_TRUSTED_PROXIES",
      "a comma-separated list of IP addresses",
      "Peers whose X-Forwarded-For is believed (exact addresses); empty believes none.",
    ),
  };
}

function bootstrapAdmin(env: Source): Config["auth"]["bootstrapAdmin"] {
  const together = "set together with the other MEMORIC_BOOTSTRAP_ADMIN_* variables";
  const names = [
    "MEMORIC_BOOTSTRAP_ADMIN_USERNAME",
    "MEMORIC_BOOTSTRAP_ADMIN_EMAIL",
    "MEMORIC_BOOTSTRAP_ADMIN_PASSWORD",
  ] as const;
  const values = [
    optional(
      env,
      names[0],
      "a username",
      "Username of a first admin, created at start-up if absent; set all three MEMORIC_BOOTSTRAP_ADMIN_* or none.",
    ),
    optional(env, names[1], "an email address", "Email of that first admin."),
    secret(env, names[2], "a password the password policy accepts", "Password of that first admin.", "(unset)"),
  ];
  if (values.every((v) => v === undefined)) return undefined;
  const missing = names.filter((_, i) => values[i] === undefined);
  if (missing.length > 0) throw new ConfigError(missing[0]!, together, "");
  const [username, email, password] = values as [string, string, string];
  return { username, email, password };
}

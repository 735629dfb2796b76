/**
 * Spec: `memoric --help` (and -h, `help`, `<command> --help`) prints the usage on stdout and exits 0;
 * an unknown command or option names itself on stderr with the usage and exits 2; the usage text
 * documents the exit codes.
 */
import { describe, expect, it } from "vitest";
import { runMemoric } from "../support/cli.js";

// stdin closed: a command that wrongly went on to read a password gets EOF, not a hang.
const memoric = (...args: string[]) => runMemoric(args);

describe("memoric help", () => {
  for (const args of [["--help"], ["-h"], ["help"], ["users", "create", "--help"], ["keys", "rewrap", "-h"]]) {
    it(`memoric ${args.join(" ")}: usage on stdout, exit 0`, async () => {
      const out = await memoric(...args);
      expect(out.stderr).toBe("");
      expect(out.status).toBe(0);
      expect(out.stdout).toMatch(/^usage: memoric <command>/);
      expect(out.stdout).toMatch(/memoric users create --username NAME/);
      expect(out.stdout).toMatch(/Exit codes: 0 success; 1 failure .*; 2 usage error/s);
      expect(out.stdout).toMatch(/3 the embedded data directory is in use/);
    });
  }
});

describe("usage errors exit 2 with the usage on stderr", () => {
  const cases: [string[], RegExp][] = [
    [["frobnicate"], /^memoric: unknown command: frobnicate\n/],
    [["users", "delete"], /^memoric: unknown command: users delete\n/],
    [["keys"], /^memoric: missing command after keys\n/],
    [[], /^memoric: missing command\n/],
    [["users", "create", "--username", "bob", "--email", "b@x.io", "--bogus"], /^memoric: Unknown option '--bogus'/],
    [["users", "create", "--username", "bob"], /^memoric: --username and --email are required\n/],
    [["keys", "disable"], /^memoric: --key-id: the numeric id of a key/],
  ];
  for (const [args, message] of cases) {
    it(`memoric ${args.join(" ") || "(nothing)"}`, async () => {
      const out = await memoric(...args);
      expect(out.status).toBe(2);
      expect(out.stdout).toBe("");
      expect(out.stderr).toMatch(message);
      expect(out.stderr).toMatch(/usage: memoric <command>/);
    });
  }
});

/**
 * Spec: README's "For backends" commands work as written. The ```sh backends block is taken from
 * README.md verbatim and run by bash against a real server, with only BASE_URL and ADMIN_TOKEN
 * provided (both named by the commands themselves); then its output is checked line by line: the
 * service account's key works, an end user is created on first write, searches see only that end
 * user's memories, the browser token acts for its end user only and cannot reach EndUserService,
 * and the erasure reports what it erased.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin } from "../support/identity.js";
import { startTestServer, type TestServer } from "../support/server.js";

const README = path.join(import.meta.dirname, "../../README.md");

function backendsBlock(): string {
  const m = /```sh backends\n([\s\S]*?)```/.exec(fs.readFileSync(README, "utf8"));
  if (!m) throw new Error("README.md has no ```sh backends block");
  return m[1]!;
}

/** Splits concatenated JSON objects (curl prints each without a newline, buf curl pretty-prints). */
function jsonDocuments(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" && depth++ === 0) start = i;
    else if (c === "}" && --depth === 0) out.push(JSON.parse(text.slice(start, i + 1)));
  }
  return out;
}

let server: TestServer;
let lines: unknown[];

beforeAll(async () => {
  server = await startTestServer({ LOG_LEVEL: "warn" });
  const root = await admin(server);
  const { stdout } = await promisify(execFile)("bash", ["-euo", "pipefail", "-c", backendsBlock()], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, BASE_URL: server.url, ADMIN_TOKEN: root.token },
    timeout: 150_000,
  });
  lines = jsonDocuments(stdout);
}, 180_000);
afterAll(async () => {
  await server?.close();
});

/** The fields of the answers this test reads (Connect JSON: int64 as strings, errors as {code}). */
interface Answer {
  code?: string;
  memory?: { content: string; endUserId: string };
  results?: { memory: { content: string } }[];
  endUser?: { endUserId: string; memoryCount: string };
  endUsers?: { endUserId: string; memoryCount: string }[];
  memoriesDeleted?: string;
  keyDestroyed?: boolean;
}
const at = (i: number) => lines[i] as Answer;
const contents = (r: Answer) => (r.results ?? []).map((x) => x.memory.content);

describe("README: For backends", () => {
  it("prints one answer per call (the two captured ones aside)", () => {
    expect(lines).toHaveLength(11);
  });

  it("writes for two end users with the service account's key, each memory naming its end user", () => {
    expect(at(0).memory).toMatchObject({ content: "The user is allergic to peanuts", endUserId: "user-123" });
    expect(at(1).memory).toMatchObject({ endUserId: "user-456" });
  });

  it("searches one end user's memories only", () => {
    expect(contents(at(2))).toEqual(["The user is allergic to peanuts"]);
  });

  it("the browser token writes and reads as its end user", () => {
    expect(at(3).memory).toMatchObject({ content: "Prefers oat milk", endUserId: "user-123" });
    expect(contents(at(4)).sort()).toEqual(["Prefers oat milk", "The user is allergic to peanuts"]);
  });

  it("the browser token is refused for another end user and for EndUserService", () => {
    expect(at(5).code).toBe("permission_denied");
    expect(JSON.stringify(at(5))).not.toContain("loves");
    expect(at(6).code).toBe("permission_denied");
  });

  it("buf curl reads one end user by its external id", () => {
    expect(at(7).endUser).toMatchObject({ endUserId: "user-456", memoryCount: "1" });
  });

  it("the backend lists its end users with counts and erases one", () => {
    const listed = (at(8).endUsers ?? []).map((e) => [e.endUserId, e.memoryCount]);
    expect(listed).toEqual([
      ["user-123", "2"],
      ["user-456", "1"],
    ]);
    expect(at(9)).toMatchObject({ memoriesDeleted: "2", keyDestroyed: true });
  });

  it("the erased end user's token stops working", () => {
    expect(at(10).code).toBe("unauthenticated");
  });
});

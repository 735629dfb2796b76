/**
 * bcrypt runs on worker threads of the lowest CPU priority, so a login storm takes only what other
 * calls leave idle (bcrypt-pool.ts). Linux: the worker lowers its own thread's priority to nice 19.
 */
import fs from "node:fs";
import { expect, it } from "vitest";
import { bcryptCompare, bcryptHash } from "../../src/security/bcrypt-pool.js";

function nicedThreads(): number {
  let n = 0;
  for (const tid of fs.readdirSync("/proc/self/task")) {
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
    if (stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16] === "19") n++;
  }
  return n;
}

it("hashes and compares like bcrypt", async () => {
  const hash = await bcryptHash("correct horse battery staple", 4);
  expect(hash).toMatch(/^\$2b\$04\$/);
  expect(await bcryptCompare("correct horse battery staple", hash)).toBe(true);
  expect(await bcryptCompare("wrong horse battery staple", hash)).toBe(false);
  await expect(bcryptCompare("x", "not a bcrypt hash")).resolves.toBe(false);
});

it.runIf(process.platform === "linux")("runs on a thread of nice 19", async () => {
  await bcryptHash("warm up the thread", 4);
  expect(nicedThreads()).toBeGreaterThan(0);
});

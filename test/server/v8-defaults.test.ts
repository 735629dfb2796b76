/**
 * Spec: the server's V8 defaults apply unless the operator passed the same flag to node, in any spelling;
 * its node options are on every launcher's command line.
 */
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { NODE_OPTIONS, v8Default } from "../../src/server/v8-defaults.js";

function applied(execArgv: string[], name = "allocation-site-pretenuring", flag = "--no-allocation-site-pretenuring") {
  const set: string[] = [];
  const result = v8Default(name, flag, execArgv, (f) => set.push(f));
  return { result, set };
}

describe("v8Default", () => {
  it("sets the flag when node was started without it", () => {
    expect(applied([])).toEqual({ result: true, set: ["--no-allocation-site-pretenuring"] });
    expect(applied(["--import", "tsx", "--enable-source-maps"])).toEqual({
      result: true,
      set: ["--no-allocation-site-pretenuring"],
    });
  });

  it("leaves the operator's own setting, with dashes or underscores, on or off, with or without a value", () => {
    for (const arg of [
      "--allocation-site-pretenuring",
      "--no-allocation-site-pretenuring",
      "--allocation_site_pretenuring",
      "--no-allocation_site_pretenuring",
    ])
      expect(applied([arg]), arg).toEqual({ result: false, set: [] });
    expect(applied(["--heap_growing_percent=80"], "heap-growing-percent", "--heap-growing-percent=50").set).toEqual([]);
    expect(applied(["--heap-growing-percent=80"], "heap-growing-percent", "--heap-growing-percent=50").set).toEqual([]);
  });

  it("is not fooled by a longer flag that merely starts with the same name", () => {
    expect(applied(["--heap-growing-percent-x=1"], "heap-growing-percent", "--heap-growing-percent=50").result).toBe(
      true,
    );
  });
});

describe("NODE_OPTIONS", () => {
  const read = (file: string) => fs.readFileSync(new URL(`../../${file}`, import.meta.url), "utf8");

  // The image's CMD: test/deploy/dockerfile.test.ts.
  it("are passed by npm start and by the documented command", () => {
    const start = (JSON.parse(read("package.json")) as { scripts: { start: string } }).scripts.start.split(" ");
    expect(start.slice(0, 1 + NODE_OPTIONS.length)).toEqual(["node", ...NODE_OPTIONS]);
    expect(start.at(-1)).toBe("src/main.ts");
    expect(read("README.md")).toContain(`\`node ${NODE_OPTIONS.join(" ")} dist/main.js\``);
    expect(read("README.md")).not.toMatch(/`node dist\/main\.js`/);
  });
});

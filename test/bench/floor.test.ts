/**
 * The floor table's arithmetic (bench/floor.ts): a call's least CPU is the sum of its parts, its
 * best rate the machine's cores over that sum, and a goal is reachable only if that best rate
 * reaches the goal's "done" threshold.
 */
import { expect, it } from "vitest";
import { floorRows, formatFloor, type FloorInputs } from "../../bench/floor.js";

const inputs: FloorInputs = {
  cores: 2,
  healthPerSecond: 8000,
  framework: { outsideUs: 150, postgresUs: 0 },
  readTx: { outsideUs: 110, postgresUs: 120 },
  auditRow: { outsideUs: 20, postgresUs: 100 },
  createStatement: { outsideUs: 0, postgresUs: 850 },
  batchStatementPerMemory: { outsideUs: 0, postgresUs: 130 },
  preparePerMemory: { outsideUs: 95, postgresUs: 0 },
};

it("bounds each goal's rate by the cores over the sum of its parts", () => {
  const [read, createOne, bulk] = floorRows(inputs);
  expect(read).toMatchObject({ floorUs: 500, bestPerSecond: 4000, bestRatio: 0.5, reachable: true });
  expect(createOne).toMatchObject({ floorUs: 1000, bestPerSecond: 2000, bestRatio: 0.25, reachable: false });
  expect(bulk!.floorUs).toBe(225);
  expect(bulk!.bestPerSecond).toBeCloseTo(8888.9, 1);
  expect(bulk).toMatchObject({ bestRatio: undefined, reachable: false });
});

it("calls a ratio goal reachable at its done threshold, not below it", () => {
  const slower = { ...inputs, readTx: { outsideUs: 110, postgresUs: 121 } };
  expect(floorRows(slower)[0]!.reachable).toBe(false);
  const moreCores = { ...inputs, cores: 4 };
  expect(floorRows(moreCores).map((r) => r.reachable)).toEqual([true, true, true]);
});

it("prints every part split into what runs outside PostgreSQL and inside", () => {
  const text = formatFloor(inputs, floorRows(inputs));
  expect(text).toContain("read transaction 230 (110 + PG 120)");
  expect(text).toContain("| CreateMemory @64 | 1,000 |");
  expect(text).toContain("0.25x | >= 0.5x (done: >= 0.3x) | no |");
});

/**
 * The goal table's PostgreSQL CPU column (bench/cpu.ts) is taken per process: a backend that exits
 * between two readings takes its past CPU out of neither reading, so the figure never goes negative.
 */
import { expect, it } from "vitest";
import { postgresBetween, type CpuReading } from "../../bench/cpu.js";

const reading = (postgres: [pid: number, seconds: number][]): CpuReading => ({
  server: 0,
  serverMain: 0,
  postgres: new Map(postgres),
  client: 0,
});

it("sums each postgres process's CPU since the first reading, new processes from zero", () => {
  const before = reading([
    [10, 5],
    [11, 1],
  ]);
  const after = reading([
    [10, 5.5],
    [11, 1.25],
    [12, 0.5],
  ]);
  expect(postgresBetween(before, after)).toBeCloseTo(1.25, 9);
});

it("ignores a process that exited between the readings instead of subtracting its past CPU", () => {
  const before = reading([
    [10, 5],
    [11, 100],
  ]);
  const after = reading([[10, 5.5]]);
  expect(postgresBetween(before, after)).toBeCloseTo(0.5, 9);
});

import { defineConfig } from "vitest/config";

// The real-cluster restart test: alone (it stops the machine's PostgreSQL), never in `npm test`.
export default defineConfig({
  test: {
    include: ["test/cluster/**/*.test.ts"],
    pool: "forks",
    maxWorkers: 1,
    minWorkers: 1,
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});

/** Spec: a cluster's summary is extractive: first sentences of its representatives, deduplicated, bounded. */
import { describe, expect, it } from "vitest";
import { clusterSummary } from "../../src/domain/clusters.js";

describe("clusterSummary", () => {
  it("joins distinct first sentences in the given order", () => {
    expect(clusterSummary(["Likes espresso. A lot.", "likes espresso. Again.", "Prefers oat milk"])).toBe(
      "Likes espresso.; Prefers oat milk",
    );
  });
  it("stays within the budget", () => {
    const s = clusterSummary(
      Array.from({ length: 20 }, (_, i) => `Sentence number ${i} about coffee.`),
      60,
    );
    expect([...s].length).toBeLessThanOrEqual(60);
    expect(s.endsWith("…")).toBe(true);
  });
  it("is empty for no content", () => {
    expect(clusterSummary([])).toBe("");
  });
});

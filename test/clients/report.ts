/** What every language's scenario reports, and the checks all of them must pass. */
import { expect } from "vitest";

export interface ScenarioReport {
  principal: string;
  endUsers: boolean;
  /** Contents (of this run) found by each end user's search for "peanuts", sorted. */
  searchA: string[];
  searchB: string[];
  /** Contents (of this run) in each end user's streamed export, sorted. */
  exportA: string[];
  exportB: string[];
  /** Alice's memories of this run seen by the paged list (page size 1). */
  listedA: number;
  update: { version: number; previousVersion: number; content: string; topicKept: boolean };
  /** The code of GetMemory on the deleted memory. */
  deletedGet: string;
  validation: { code: string; fields: string[] };
  refresh: { user: boolean; refreshCount: number };
  retry: { attempts: number; sameKey: boolean; replayed: boolean; copies: number };
  /** With end users: what a delegated token for alice finds, and the code for writing as bob with it. */
  delegated: { searchContents: string[]; otherEndUser: string } | null;
}

export function checkScenarioReport(r: ScenarioReport, tag: string, principal: string): void {
  expect(r.principal).toBe(principal);
  const alice = [`${tag} alice is allergic to peanuts`, `${tag} alice prefers window seats`];
  const bob = `${tag} bob likes peanuts too`;
  expect(r.searchA).toContain(alice[0]);
  expect(r.searchB).toContain(bob);
  expect(r.exportA).toEqual(expect.arrayContaining(alice));
  expect(r.exportB).toContain(bob);
  expect(r.listedA).toBeGreaterThanOrEqual(2);
  if (r.endUsers) {
    // Each end user's memories are invisible to the other.
    expect(r.searchA).not.toContain(bob);
    expect(r.searchB).toEqual([bob]);
    expect(r.exportA).toEqual([...alice].sort());
    expect(r.exportB).toEqual([bob]);
    expect(r.listedA).toBe(2);
    // Run after the update: alice's peanut memory reads "… peanuts AND tree nuts" by then.
    expect(r.delegated).toEqual({
      searchContents: [`${tag} alice: peanuts AND tree nuts`],
      otherEndUser: "PERMISSION_DENIED",
    });
  }
  expect(r.update).toEqual({
    version: r.update.previousVersion + 1,
    previousVersion: r.update.previousVersion,
    content: `${tag} alice: peanuts AND tree nuts`,
    topicKept: true,
  });
  expect(r.deletedGet).toBe("NOT_FOUND");
  expect(r.validation).toEqual({ code: "INVALID_ARGUMENT", fields: ["content"] });
  expect(r.refresh).toEqual({ user: true, refreshCount: 1 });
  expect(r.retry).toEqual({ attempts: 2, sameKey: true, replayed: true, copies: 1 });
}

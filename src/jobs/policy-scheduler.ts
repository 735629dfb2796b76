/**
 * Runs the memory policies every MEMORIC_POLICY_INTERVAL_SECONDS (0 disables). Every replica runs
 * this timer; the policy lease makes all but one skip each round. The first round waits one full
 * interval, so start-up stays fast and tests are not surprised by a run.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { AppContext } from "../app-context.js";
import type { BackgroundJob } from "./background-job.js";
import { runPolicies } from "../store/policies.js";

const POLICY_ACTOR = { system: "policy-scheduler" } as const;

export function startPolicyScheduler(deps: AppContext): BackgroundJob {
  const intervalMs = deps.config.memory.policies.intervalSeconds * 1000;
  if (intervalMs <= 0) return { stop: async () => {} };
  let running: Promise<void> | undefined;
  let stopped = false;

  const tick = () => {
    if (stopped || running) return; // never overlap with our own previous round
    running = (async () => {
      try {
        const r = await runPolicies(deps, POLICY_ACTOR, { dryRun: false });
        deps.logger.info(
          { users: r.users, counts: r.counts.list(), ms: Math.round(r.durationMs) },
          "memory policies ran",
        );
      } catch (err) {
        if (err instanceof ConnectError && err.code === Code.Aborted) {
          deps.logger.debug("memory policies: another replica is running them");
        } else {
          deps.logger.error({ err }, "memory policies failed");
          await deps.audit
            .recordStandalone(POLICY_ACTOR, {
              type: "policy.failed",
              success: false,
              errorMessage: err instanceof Error ? err.name : "error",
            })
            .catch(() => undefined);
        }
      } finally {
        running = undefined;
      }
    })();
  };

  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

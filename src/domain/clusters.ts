// Clusters: a user's memories grouped by (topic, category). Grouping happens in SQL on the blind
// values; this module only writes the short extractive summary of a group.
import { cutAtWord, splitSentences } from "./policies.js";

const CLUSTER_SUMMARY_CHARS = 240;
/** Representatives decrypted per cluster to name and summarize it. */
export const CLUSTER_SAMPLE = 5;
/** Clusters kept per user (largest first); the long tail of one-memory topics is dropped. */
export const MAX_CLUSTERS = 500;

/**
 * First sentence of each representative (most important first, as given), deduplicated, joined
 * with "; " and cut to maxChars.
 */
export function clusterSummary(contents: string[], maxChars = CLUSTER_SUMMARY_CHARS): string {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const c of contents) {
    const first = splitSentences(c)[0];
    if (!first) continue;
    const key = first.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(first);
  }
  return cutAtWord(out.join("; "), maxChars);
}

// Pure parts of the memory policies: extractive trimming and per-thread summaries (tiers and
// retention are applied in SQL, store/policies.ts). Extractive on purpose: no model, deterministic,
// and every sentence of a summary is a sentence the user actually stored (nothing invented).
import { analyze } from "./text.js";

export const TIER = { short: 1, mid: 2, long: 3 } as const;

/** Sentences, keeping their punctuation; newlines also end a sentence. */
export function splitSentences(text: string): string[] {
  return (text.match(/[^.!?\n]+(?:[.!?]+|\n|$)/g) ?? [])
    .map((s) => s.replace(/\s+/g, " ").trim())
    .filter((s) => s.length > 0);
}

const ELLIPSIS = "…";

/** Cuts at a word boundary so the result, ellipsis included, has at most maxChars code points. */
export function cutAtWord(text: string, maxChars: number): string {
  const cps = [...text];
  if (cps.length <= maxChars) return text;
  if (maxChars <= 1) return ELLIPSIS.slice(0, maxChars);
  const head = cps.slice(0, maxChars - 1).join("");
  if (/\s/.test(cps[maxChars - 1]!)) return head.trimEnd() + ELLIPSIS; // the cut falls between words
  const lastSpace = head.lastIndexOf(" ");
  return (lastSpace > head.length / 2 ? head.slice(0, lastSpace) : head).trimEnd() + ELLIPSIS;
}

/**
 * A shorter current version: whole leading sentences up to maxChars (ellipsis marks the cut). The
 * original stays in the memory's history.
 */
export function trimText(text: string, maxChars: number): string {
  if ([...text].length <= maxChars) return text;
  const out: string[] = [];
  let len = 0;
  for (const s of splitSentences(text)) {
    const add = [...s].length + (out.length ? 1 : 0);
    if (len + add > maxChars - 1) break;
    out.push(s);
    len += add;
  }
  if (out.length === 0) return cutAtWord(text.replace(/\s+/g, " ").trim(), maxChars);
  return out.join(" ") + ELLIPSIS;
}

export interface ThreadItem {
  content: string;
  importance: number;
  createdAt: Date;
}

/**
 * Extractive thread summary: each memory contributes its first sentence; sentences are chosen by
 * importance, then by how many of the thread's frequent terms they carry, until maxChars; the
 * chosen ones are shown in chronological order.
 */
export function summarizeThread(items: ThreadItem[], maxChars: number): string {
  const freq = new Map<string, number>();
  const firsts = items.map((it, i) => {
    const sentence = cutAtWord(
      splitSentences(it.content)[0] ?? it.content.trim(),
      Math.max(40, Math.floor(maxChars / 3)),
    );
    const terms = analyze(sentence).terms;
    for (const t of terms.keys()) freq.set(t, (freq.get(t) ?? 0) + 1);
    return { i, sentence, terms, it };
  });
  const salience = (terms: Map<string, number>) => [...terms.keys()].reduce((n, t) => n + ((freq.get(t) ?? 1) - 1), 0);
  const ranked = firsts
    .filter((f) => f.sentence.length > 0)
    .sort((a, b) => b.it.importance - a.it.importance || salience(b.terms) - salience(a.terms) || a.i - b.i);
  const header = `Summary of ${items.length} memories: `;
  const chosen: typeof firsts = [];
  const seen = new Set<string>();
  let len = [...header].length;
  for (const f of ranked) {
    const key = f.sentence.toLowerCase();
    if (seen.has(key)) continue;
    const add = [...f.sentence].length + 1;
    if (len + add > maxChars) continue;
    seen.add(key);
    chosen.push(f);
    len += add;
  }
  chosen.sort((a, b) => a.it.createdAt.getTime() - b.it.createdAt.getTime() || a.i - b.i);
  return cutAtWord(header + chosen.map((c) => c.sentence).join(" "), maxChars);
}

export type PolicyAction = "promote" | "trim" | "summarize" | "expire";

/** Counts per (action, tier), for RunPoliciesResponse. */
export class PolicyCounts {
  private readonly map = new Map<string, number>();

  add(action: PolicyAction, tier: number, n = 1): void {
    if (n === 0) return;
    const k = `${action}:${tier}`;
    this.map.set(k, (this.map.get(k) ?? 0) + n);
  }

  merge(other: PolicyCounts): void {
    for (const c of other.list()) this.add(c.action, c.tier, c.count);
  }

  total(): number {
    return [...this.map.values()].reduce((a, b) => a + b, 0);
  }

  list(): { action: PolicyAction; tier: number; count: number }[] {
    return [...this.map]
      .map(([k, count]) => {
        const [action, tier] = k.split(":") as [PolicyAction, string];
        return { action, tier: Number(tier), count };
      })
      .sort((a, b) => a.action.localeCompare(b.action) || a.tier - b.tier);
  }
}

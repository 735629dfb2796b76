// GetContext rendering: the end user's core memories (their profile: CRITICAL or pinned), the current
// thread's recent memories in chronological order, then the most relevant other memories (or, when
// nothing matches the query, the most recent and important ones), as one block within a character
// budget. The budget goes to core memories first, then the thread, then the rest: a safety fact
// ("allergic to peanuts") is never crowded out by chat history. Budget is measured in code points of
// the rendered `context` string, so what is returned always fits.
import { ChatRole, Importance } from "../../gen/memoric/v1/memory_pb.js";
import { cutAtWord } from "./policies.js";
import { overlay } from "./objects.js";

export type ContextFormatName = "text" | "structured" | "chat";

/** Chat roles by their proto enum value (the contract is the one definition). */
const ROLE_NAMES: Record<number, string> = {
  [ChatRole.UNSPECIFIED]: "user",
  [ChatRole.USER]: "user",
  [ChatRole.ASSISTANT]: "assistant",
  [ChatRole.SYSTEM]: "system",
  [ChatRole.TOOL]: "tool",
};
const IMPORTANCE_NAMES: Record<number, string> = {
  [Importance.LOW]: "low",
  [Importance.MEDIUM]: "medium",
  [Importance.HIGH]: "high",
  [Importance.CRITICAL]: "critical",
};

export interface ContextItem {
  id: string;
  content: string;
  /** 0 unspecified, 1 user, 2 assistant, 3 system, 4 tool. */
  role: number;
  topic: string;
  category: string;
  importance: number;
  createdAt: Date;
}

interface ContextMessageOut {
  role: number;
  content: string;
}

/** What GetContext found, before the budget. */
export interface ContextParts {
  /** Core memories (CRITICAL importance or pinned), most important and recent first. */
  core: ContextItem[];
  /** The thread's recent memories, chronological. */
  thread: ContextItem[];
  /** Other memories, best first. */
  relevant: ContextItem[];
  /** True when `relevant` is the recency + importance fallback (nothing matched the query). */
  fallback?: boolean;
}

export interface RenderedContext {
  context: string;
  messages: ContextMessageOut[];
  memoryIds: string[];
  truncated: boolean;
}

const oneLine = (s: string) => s.replace(/\s+/g, " ").trim();
const length = (s: string) => [...s].length;

function meta(m: ContextItem): string {
  return [
    m.topic && `topic: ${m.topic}`,
    m.category && `category: ${m.category}`,
    `importance: ${IMPORTANCE_NAMES[m.importance] ?? "medium"}`,
    m.createdAt.toISOString().slice(0, 10),
  ]
    .filter(Boolean)
    .join("; ");
}

function render(p: ContextParts, format: ContextFormatName): Omit<RenderedContext, "truncated"> {
  const { core, thread, relevant } = p;
  const memoryIds = [...core, ...thread, ...relevant].map((m) => m.id);
  const others = p.fallback ? "Recent memories" : "Relevant memories";
  if (format === "chat") {
    // Chat APIs expect system context first: the profile and other memories open, the conversation follows.
    const messages: ContextMessageOut[] = [];
    const blocks: string[] = [];
    if (core.length) blocks.push("Profile:\n" + core.map((m) => `- ${oneLine(m.content)}`).join("\n"));
    if (relevant.length) blocks.push(`${others}:\n` + relevant.map((m) => `- ${oneLine(m.content)}`).join("\n"));
    if (blocks.length) messages.push({ role: ChatRole.SYSTEM, content: blocks.join("\n") });
    for (const m of thread)
      messages.push({ role: m.role === ChatRole.UNSPECIFIED ? ChatRole.USER : m.role, content: m.content });
    return {
      messages,
      memoryIds,
      context: messages.map((m) => `${ROLE_NAMES[m.role] ?? "user"}: ${m.content}`).join("\n"),
    };
  }
  if (format === "structured") {
    const sections: string[] = [];
    if (core.length) sections.push("## Profile\n" + core.map((m) => `- ${oneLine(m.content)} (${meta(m)})`).join("\n"));
    if (thread.length)
      sections.push(
        "## Current conversation\n" +
          thread.map((m) => `- [${ROLE_NAMES[m.role] ?? "user"}] ${oneLine(m.content)}`).join("\n"),
      );
    if (relevant.length)
      sections.push(`## ${others}\n` + relevant.map((m) => `- ${oneLine(m.content)} (${meta(m)})`).join("\n"));
    return { messages: [], memoryIds, context: sections.join("\n\n") };
  }
  const lines = [
    ...core.map((m) => oneLine(m.content)),
    ...thread.map((m) => (m.role ? `${ROLE_NAMES[m.role]}: ` : "") + oneLine(m.content)),
    ...relevant.map((m) => oneLine(m.content)),
  ];
  return { messages: [], memoryIds, context: lines.join("\n") };
}

/**
 * Core memories are taken in order, skipping any that do not fit; then thread memories newest first
 * until one does not fit (older ones would leave a gap); then the others in rank order, skipping any
 * that do not fit. If not even one memory fits, the first (core, else thread, else other) is cut.
 */
export function renderContext(parts: ContextParts, format: ContextFormatName, maxChars: number): RenderedContext {
  const kept: ContextParts = { core: [], thread: [], relevant: [], fallback: parts.fallback };
  let truncated = false;
  const fits = () => length(render(kept, format).context) <= maxChars;
  const takeEach = (from: ContextItem[], into: ContextItem[]) => {
    for (const m of from) {
      into.push(m);
      if (!fits()) {
        into.pop();
        truncated = true;
      }
    }
  };
  takeEach(parts.core, kept.core);
  for (let i = parts.thread.length - 1; i >= 0; i--) {
    kept.thread.unshift(parts.thread[i]!);
    if (!fits()) {
      kept.thread.shift();
      truncated = true;
      break;
    }
  }
  takeEach(parts.relevant, kept.relevant);
  if (kept.core.length + kept.thread.length + kept.relevant.length === 0) {
    const section = (["core", "thread", "relevant"] as const).find((k) => parts[k].length > 0);
    if (section) {
      const list = parts[section];
      const first = section === "thread" ? list[list.length - 1]! : list[0]!;
      // Shrink the content until the whole block, decoration included, fits.
      const place = (m: ContextItem) => render({ core: [], thread: [], relevant: [], [section]: [m] }, format);
      const room = maxChars - length(place(overlay(first, { content: "" })).context);
      if (room >= 8) kept[section].push(overlay(first, { content: cutAtWord(oneLine(first.content), room) }));
    }
  }
  return overlay(render(kept, format), { truncated });
}

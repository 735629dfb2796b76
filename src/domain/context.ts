// GetContext rendering: the current thread's recent memories in chronological order, then the most
// relevant other memories, as one block within a character budget. Budget is measured in code points
// of the rendered `context` string, so what is returned always fits.
import { ChatRole, Importance } from "../../gen/memoric/v1/memory_pb.js";
import { cutAtWord } from "./policies.js";

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

export interface RenderedContext {
  context: string;
  messages: ContextMessageOut[];
  memoryIds: string[];
  truncated: boolean;
}

const oneLine = (s: string) => s.replace(/\s+/g, " ").trim();
const length = (s: string) => [...s].length;

function render(
  thread: ContextItem[],
  relevant: ContextItem[],
  format: ContextFormatName,
): Omit<RenderedContext, "truncated"> {
  const memoryIds = [...thread, ...relevant].map((m) => m.id);
  if (format === "chat") {
    // Chat APIs expect system context first: the relevant memories open, the conversation follows.
    const messages: ContextMessageOut[] = [];
    if (relevant.length)
      messages.push({
        role: ChatRole.SYSTEM,
        content: "Relevant memories:\n" + relevant.map((m) => `- ${oneLine(m.content)}`).join("\n"),
      });
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
    if (thread.length)
      sections.push(
        "## Current conversation\n" +
          thread.map((m) => `- [${ROLE_NAMES[m.role] ?? "user"}] ${oneLine(m.content)}`).join("\n"),
      );
    if (relevant.length) {
      const meta = (m: ContextItem) =>
        [
          m.topic && `topic: ${m.topic}`,
          m.category && `category: ${m.category}`,
          `importance: ${IMPORTANCE_NAMES[m.importance] ?? "medium"}`,
          m.createdAt.toISOString().slice(0, 10),
        ]
          .filter(Boolean)
          .join("; ");
      sections.push("## Relevant memories\n" + relevant.map((m) => `- ${oneLine(m.content)} (${meta(m)})`).join("\n"));
    }
    return { messages: [], memoryIds, context: sections.join("\n\n") };
  }
  const lines = [
    ...thread.map((m) => (m.role ? `${ROLE_NAMES[m.role]}: ` : "") + oneLine(m.content)),
    ...relevant.map((m) => oneLine(m.content)),
  ];
  return { messages: [], memoryIds, context: lines.join("\n") };
}

/**
 * thread: the thread's recent memories, chronological. relevant: others, best first. Thread
 * memories are taken newest first until one does not fit (older ones would leave a gap), relevant
 * ones in rank order skipping any that do not fit. If not even one memory fits, the first is cut.
 */
export function renderContext(
  thread: ContextItem[],
  relevant: ContextItem[],
  format: ContextFormatName,
  maxChars: number,
): RenderedContext {
  const keptThread: ContextItem[] = [];
  const keptRelevant: ContextItem[] = [];
  let truncated = false;
  const fits = () => length(render(keptThread, keptRelevant, format).context) <= maxChars;
  for (let i = thread.length - 1; i >= 0; i--) {
    keptThread.unshift(thread[i]!);
    if (!fits()) {
      keptThread.shift();
      truncated = true;
      break;
    }
  }
  for (const m of relevant) {
    keptRelevant.push(m);
    if (!fits()) {
      keptRelevant.pop();
      truncated = true;
    }
  }
  if (keptThread.length === 0 && keptRelevant.length === 0) {
    const inThread = thread.length > 0;
    const first = inThread ? thread[thread.length - 1] : relevant[0];
    if (first) {
      // Shrink the content until the whole block, decoration included, fits.
      const place = (m: ContextItem) => (inThread ? render([m], [], format) : render([], [m], format));
      const room = maxChars - length(place({ ...first, content: "" }).context);
      if (room >= 8)
        (inThread ? keptThread : keptRelevant).push({ ...first, content: cutAtWord(oneLine(first.content), room) });
    }
  }
  return { ...render(keptThread, keptRelevant, format), truncated };
}

// Save a memory for one of your users and find it again.
//   MEMORIC_URL=http://localhost:8080 MEMORIC_API_KEY=mk_... node examples/quickstart.mjs
import { createMemoricClient } from "@memoric/client";

const memoric = createMemoricClient({
  baseUrl: process.env.MEMORIC_URL ?? "http://localhost:8080",
  auth: { apiKey: process.env.MEMORIC_API_KEY },
});
const alice = memoric.endUser("user-123");
await alice.memories.createMemory({ content: "The user is allergic to peanuts", threadId: "chat-1" });
const { results } = await alice.memories.searchMemories({ query: "peanuts", topK: 3 });
for (const hit of results) console.log(hit.score.toFixed(2), hit.memory.content);

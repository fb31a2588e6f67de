/**
 * Model calls and tokens that omnimem spends to ingest a scripted 100-turn conversation about
 * 5 topics, one turn per add (the way a server receives them), against the fake OpenAI server,
 * next to what Mem0 and EverOS would spend on the same stream by their documented designs.
 *
 *   npx tsx bench/formation-cost.ts
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Memory } from "../src/index.js";
import { lastMessageText, schemaNameOf, startFakeOpenAI } from "../test/support/fake-openai-server.js";

const TOPICS = ["kitchen renovation", "marathon training", "tax return", "daughter's school", "trip to Japan"];
const TURNS_PER_TOPIC = 20;
const START = Date.UTC(2026, 2, 10, 8, 0, 0);

const turns = TOPICS.flatMap((topic, t) =>
  Array.from({ length: TURNS_PER_TOPIC }, (_, i) => ({
    role: i % 2 === 0 ? "user" : "assistant",
    content:
      i % 2 === 0
        ? `About the ${topic}: update number ${i / 2 + 1}, with some detail on budget, dates and people involved.`
        : `Thanks, noted about the ${topic}. Anything else on that?`,
    timestamp: START + (t * TURNS_PER_TOPIC + i) * 60_000,
  })),
);


const server = await startFakeOpenAI({ embeddingDimensions: 64 });
// A model that behaves: finds the topic change, extracts 3 facts, adds what is new.
server.chat.setDefault((body) => {
  const prompt = lastMessageText(body, "user");
  const lines = prompt.split("\n").filter((line) => /^\[\d+\]/.test(line));
  const topicOf = (line: string) => TOPICS.findIndex((topic) => line.includes(topic));
  switch (schemaNameOf(body)) {
    case "episode_boundary": {
      const first = topicOf(lines[0] ?? "");
      const shift = lines.findIndex((line) => topicOf(line) !== first);
      return JSON.stringify(shift > 0 ? { boundary: true, firstMessageOfNewEpisode: shift + 1 } : { boundary: false, firstMessageOfNewEpisode: null });
    }
    case "episode_extraction": {
      const topic = TOPICS[topicOf(lines[0] ?? "")] ?? "misc";
      return JSON.stringify({
        subject: topic,
        summary: `The user gave updates on the ${topic}.`,
        narrative: `On 2026-03-10 the user discussed the ${topic} in ${lines.length} messages.`,
        facts: [1, 2, 3].map((n) => ({ text: `Fact ${n} about the user's ${topic}`, time: "2026-03-10" })),
      });
    }
    case "memory_reconciliation": {
      const incoming = prompt.split("New facts:\n")[1]?.split("\n").filter(Boolean) ?? [];
      return JSON.stringify({ operations: incoming.map((_, fact) => ({ event: "ADD", fact, id: null, text: null })) });
    }
    default:
      return "{}";
  }
});

const root = await mkdtemp(join(tmpdir(), "omnimem-cost-"));
const memory = await Memory.open({
  root,
  logLevel: "error",
  llm: { baseUrl: server.baseURL, model: "fake-llm" },
  embedding: { baseUrl: server.baseURL, model: "fake-embed", dimensions: 64 },
});
let episodes = 0;
let facts = 0;
for (const turn of turns) {
  const result = await memory.add([turn], { userId: "alice", sessionId: "long-chat", flush: false });
  episodes += result.episodes.length;
  facts += result.results.filter((event) => event.kind === "fact").length;
}
const last = await memory.flush({ userId: "alice", sessionId: "long-chat" });
episodes += last.episodes.length;
facts += last.results.filter((event) => event.kind === "fact").length;
await memory.close();
await rm(root, { recursive: true, force: true });

const byKind = new Map<string, number>();
for (const body of server.chatRequests()) byKind.set(schemaNameOf(body), (byKind.get(schemaNameOf(body)) ?? 0) + 1);
const usage = server.usage;
await server.close();

// Mem0 (OSS, infer=true): one fact-extraction chat call per add whose prompt carries ~8k tokens of
// instructions, plus (when facts come back) a memory-update call, and ~3 embedding calls per add.
const mem0Chat = turns.length;
const mem0PromptTokens = turns.length * 8_000;
// EverOS: one boundary-detection call on every /add, one extraction per episode.
const everosChat = turns.length + TOPICS.length;

console.log("# formation cost: 100 turns, 5 topics, one turn per add (fake OpenAI server counts)\n");
console.log(`omnimem made ${episodes} episodes and ${facts} facts.\n`);
console.log("| system | chat calls | prompt tokens | completion tokens | embedding calls |");
console.log("|---|---|---|---|---|");
console.log(
  `| omnimem (measured) | ${usage.chatCalls} (${[...byKind].map(([kind, n]) => `${n} ${kind}`).join(", ")}) | ${usage.promptTokens} | ${usage.completionTokens} | ${usage.embeddingCalls} |`,
);
console.log(`| Mem0 (by design) | ≥ ${mem0Chat} | ≥ ${mem0PromptTokens} | n/a | ~${turns.length * 3} |`);
console.log(`| EverOS (by design) | ${everosChat} | n/a | n/a | n/a |`);

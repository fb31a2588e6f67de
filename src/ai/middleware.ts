/**
 * A language-model middleware (`wrapLanguageModel({ model, middleware })`) that gives the model
 * what it remembers: before each call it searches the owner's memories for the latest user
 * message and puts the hits in front of the model as a system message; with `addExchange` it
 * stores the user's message and the model's answer once the model has answered.
 */
import type { LanguageModelMiddleware } from "ai";
import type { OmnimemClient } from "../client/client.js";
import type { SearchMethod } from "../spec/types.js";
import { checkToolOwner, DEFAULT_SESSION_ID, ownerOf } from "../tools/definitions.js";
import { memoryPortOf } from "../tools/http-memory.js";
import type { MemoryPort, MemoryView, ToolOwner } from "../tools/memory-port.js";

/** Exchanges whose memories the middleware keeps track of (to leave them out while in the prompt). */
const STORED_EXCHANGES_KEPT = 200;

type CallOptions = Parameters<NonNullable<LanguageModelMiddleware["transformParams"]>>[0]["params"];
type Prompt = CallOptions["prompt"];
type PromptMessage = Prompt[number];
type StreamPart = Awaited<ReturnType<NonNullable<LanguageModelMiddleware["wrapStream"]>>>["stream"] extends ReadableStream<infer Part> ? Part : never;

export interface MemoryMiddlewareOptions extends ToolOwner {
  /** How many memories to show the model (default 5). */
  limit?: number;
  /** Default: the memory's configured method (hybrid). */
  method?: SearchMethod;
  /** Leave out memories scoring below this. */
  minScore?: number;
  /** Store each exchange (the user's message, with its files, and the answer) after the model answers. Default false. */
  addExchange?: boolean;
  /** The system message for the hits; default: a short header and one line per memory. */
  formatMemories?: (memories: MemoryView[]) => string;
  /**
   * Called when searching or storing fails; the model call then goes on without memories.
   * Without it such a failure fails the model call.
   */
  onError?: (error: unknown) => void;
}

export function memoryMiddleware(memory: MemoryPort | OmnimemClient, options: MemoryMiddlewareOptions): LanguageModelMiddleware {
  checkToolOwner(options);
  const port = memoryPortOf(memory);
  const owner = ownerOf(options);
  const format = options.formatMemories ?? defaultFormat;
  // A multi-step call (tool use) asks the model again after each tool result about the same user
  // message: those steps reuse its search. A new user message always searches afresh.
  let lastSearch: { query: string; hits: Promise<MemoryView[]> } | undefined;

  const limit = options.limit ?? 5;
  // The memories each exchange this middleware stored became, by the user message's text: while
  // that message is still in the prompt, the conversation itself shows them (bounded: the oldest go).
  const storedFrom = new Map<string, string[]>();

  const recall = (query: string, continuing: boolean): Promise<MemoryView[]> => {
    if (!continuing || lastSearch?.query !== query) {
      const hits = port
        .search(query, {
          ...owner,
          // Twice the limit: facts repeating an episode found with them, and this conversation's
          // own exchanges, are left out below.
          limit: limit * 2,
          ...(options.method === undefined ? {} : { method: options.method }),
          ...(options.minScore === undefined ? {} : { threshold: options.minScore }),
        })
        .then(({ results }) => results);
      lastSearch = { query, hits };
      // A failed search is not kept: the next call tries again.
      hits.catch(() => {
        if (lastSearch?.hits === hits) lastSearch = undefined;
      });
    }
    return lastSearch!.hits;
  };

  const guarded = async <T>(work: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (options.onError === undefined) throw error;
      options.onError(error);
      return fallback;
    }
  };

  const store = async (prompt: Prompt, answer: string): Promise<void> => {
    const user = latestUserMessage(prompt);
    if (user === undefined || answer.trim() === "") return;
    await guarded(async () => {
      const { results } = await port.add(
        [
          { role: "user", content: user.content as unknown[] },
          { role: "assistant", content: answer },
        ],
        { ...owner, sessionId: options.sessionId ?? DEFAULT_SESSION_ID },
      );
      storedFrom.set(textOf(user), results.map((event) => event.id));
      if (storedFrom.size > STORED_EXCHANGES_KEPT) storedFrom.delete(storedFrom.keys().next().value!);
    }, undefined);
  };

  /** The hits worth showing: not this conversation's own exchanges, not a fact whose episode is shown, at most `limit`. */
  const shown = (hits: MemoryView[], prompt: Prompt): MemoryView[] => {
    const inConversation = new Set(prompt.flatMap((message) => (message.role === "user" ? (storedFrom.get(textOf(message)) ?? []) : [])));
    const fresh = hits.filter((hit) => !inConversation.has(hit.id));
    const episodes = new Set(fresh.filter((hit) => hit.kind === "episode").map((hit) => hit.id));
    return fresh.filter((hit) => hit.kind !== "fact" || !(hit.sources ?? []).some((id) => episodes.has(id))).slice(0, limit);
  };

  return {
    specificationVersion: "v3",
    async transformParams({ params }) {
      const query = textOf(latestUserMessage(params.prompt));
      if (query === "") return params;
      const continuing = params.prompt[params.prompt.length - 1]?.role !== "user";
      const hits = shown(await guarded(() => recall(query, continuing), []), params.prompt);
      if (hits.length === 0) return params;
      const memoryMessage: PromptMessage = { role: "system", content: format(hits) };
      // After the app's own system messages, before the conversation.
      const firstTurn = params.prompt.findIndex((message) => message.role !== "system");
      const at = firstTurn === -1 ? params.prompt.length : firstTurn;
      return { ...params, prompt: [...params.prompt.slice(0, at), memoryMessage, ...params.prompt.slice(at)] };
    },
    async wrapGenerate({ doGenerate, params }) {
      const result = await doGenerate();
      // Only the answer to the user: a step that calls tools is not one.
      if (options.addExchange === true && result.finishReason.unified !== "tool-calls") {
        const answer = result.content.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("");
        await store(params.prompt, answer);
      }
      return result;
    },
    async wrapStream({ doStream, params }) {
      const result = await doStream();
      if (options.addExchange !== true) return result;
      let answer = "";
      let calledTools = false;
      const watch = new TransformStream<StreamPart, StreamPart>({
        transform(part, controller) {
          if (part.type === "text-delta") answer += part.delta;
          if (part.type === "finish" && part.finishReason.unified === "tool-calls") calledTools = true;
          controller.enqueue(part);
        },
        async flush() {
          if (!calledTools) await store(params.prompt, answer);
        },
      });
      return { ...result, stream: result.stream.pipeThrough(watch) };
    },
  };
}

function latestUserMessage(prompt: Prompt): Extract<PromptMessage, { role: "user" }> | undefined {
  for (let i = prompt.length - 1; i >= 0; i--) {
    const message = prompt[i]!;
    if (message.role === "user") return message;
  }
  return undefined;
}

function textOf(message: Extract<PromptMessage, { role: "user" }> | undefined): string {
  if (message === undefined) return "";
  return message.content
    .flatMap((part) => (part.type === "text" ? [part.text] : []))
    .join("\n")
    .trim();
}

function defaultFormat(memories: MemoryView[]): string {
  const lines = memories.map((memory) => `- [${memory.timestamp.slice(0, 10)}] ${memory.memory.replace(/\s+/g, " ").trim()}`);
  return `What you remember about this user from earlier conversations (most relevant first; it may be outdated, and the user's latest words win):\n${lines.join("\n")}`;
}

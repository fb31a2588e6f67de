/**
 * omnimem through its public `Memory` API, with the embedding endpoint pointed at the fake
 * server ("omnimem"), or with the local embedder and no server at all ("omnimem-local").
 */
import { Memory, type MemoryOptions } from "../../src/index.js";
import { Breakdown } from "./breakdown.js";
import type { BenchSystem, ChatMessage, TimedText } from "./system.js";

export interface OmnimemOptions {
  root: string;
  /** The fake server; undefined: the local embedder (offline). */
  baseURL: string | undefined;
  dimensions: number;
  /** Configure the extraction LLM (the fake server) for infer: true adds. */
  withLlm: boolean;
}

export class OmnimemSystem implements BenchSystem {
  readonly searchMethods = ["vector", "hybrid"] as const;
  readonly bulkBatch = 500;
  readonly notes: string[];
  private readonly options: MemoryOptions;
  private memory: Memory | undefined;
  private readonly breakdown = new Breakdown();

  constructor(options: OmnimemOptions) {
    this.options = {
      root: options.root,
      logLevel: "error",
      ...(options.baseURL === undefined
        ? { localEmbedding: { dimensions: options.dimensions } }
        : { embedding: { baseUrl: options.baseURL, model: "fake-embed", apiKey: "sk-fake", dimensions: options.dimensions } }),
      ...(options.withLlm && options.baseURL !== undefined ? { llm: { baseUrl: options.baseURL, model: "fake-llm", apiKey: "sk-fake" } } : {}),
    };
    this.notes = [
      options.baseURL === undefined
        ? `local embedder (${options.dimensions} dims, in process, no server); embedded store (markdown + SQLite + LanceDB)`
        : `embedding endpoint = fake server (${options.dimensions} dims); embedded store (markdown + SQLite + LanceDB)`,
    ];
  }

  private get open_(): Memory {
    if (this.memory === undefined) throw new Error("not open");
    return this.memory;
  }

  async open(): Promise<void> {
    this.memory = await Memory.open(this.options);
    // The embedder is a private field, reached at run time to time the steps of an add.
    this.breakdown.wrap((this.memory as unknown as { embedder: object }).embedder, "embed", "embedding");
    this.breakdown.wrap(this.memory.backend.store, "apply", "store (markdown + SQLite)");
    this.breakdown.wrap(this.memory.searchIndex, "insert", "index insert (LanceDB)");
    this.breakdown.wrap(this.memory.backend.store, "completeIndexJobs", "index jobs done (SQLite)");
  }

  startBreakdown(): void {
    this.breakdown.start();
  }

  stopBreakdown(): Record<string, number> {
    return this.breakdown.stop();
  }

  async addOne(item: TimedText, userId: string): Promise<void> {
    await this.open_.add([{ role: "user", content: item.text, timestamp: item.timestamp }], { userId, infer: false });
  }

  async addMany(items: readonly TimedText[], userId: string): Promise<void> {
    await this.open_.add(
      items.map((item) => ({ role: "user" as const, content: item.text, timestamp: item.timestamp })),
      { userId, infer: false },
    );
  }

  async addConversation(messages: readonly ChatMessage[], userId: string): Promise<number> {
    const { results } = await this.open_.add(
      messages.map((message) => ({ role: message.role, content: message.content })),
      { userId, infer: true },
    );
    return results.filter((event) => event.event === "ADD" || event.event === "UPDATE").length;
  }

  async search(query: string, userId: string, method: string, limit: number): Promise<string[]> {
    const { results } = await this.open_.search(query, { userId, method: method as "vector" | "hybrid", limit });
    return results.map((hit) => hit.memory);
  }

  async settle(): Promise<void> {
    await this.open_.idle();
  }

  async maintain(): Promise<void> {
    await this.open_.idle();
    await this.open_.searchIndex.maintain();
  }

  async close(): Promise<void> {
    await this.memory?.close();
    this.memory = undefined;
  }
}

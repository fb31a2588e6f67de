/**
 * Prometheus metrics of the server (prom-client, one registry per app so that several apps in
 * one process, as in tests, do not collide): requests, parsing, model calls, and the size of
 * the store and the index, read when scraped.
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Memory } from "../memory.js";
import type { PartReport } from "../ingest/part-parser.js";
import type { ModelUsage } from "../spec/llm.js";

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Walking the index folder is not free; a scrape every few seconds reuses the last size. */
const INDEX_SIZE_TTL_MS = 15_000;

export type ModelKind = "chat" | "embedding" | "vision" | "transcription" | "ocr";

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly httpRequests: Counter<"method" | "route" | "status">;
  private readonly httpDuration: Histogram<"method" | "route" | "status">;
  private readonly inFlight: Gauge;
  private readonly parsedItems: Counter<"modality" | "status" | "parser">;
  private readonly parseDuration: Histogram<"modality">;
  private readonly parseRejections: Counter<"code">;
  private readonly modelCalls: Counter<"kind" | "model" | "status">;
  private readonly modelDuration: Histogram<"kind" | "model">;
  private readonly modelTokens: Counter<"kind" | "model" | "direction">;
  private indexSize: { bytes: number; at: number } | undefined;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: "omnimem_" });
    this.httpRequests = new Counter({
      name: "omnimem_http_requests_total",
      help: "HTTP requests by route, method and status",
      labelNames: ["method", "route", "status"],
      registers,
    });
    this.httpDuration = new Histogram({
      name: "omnimem_http_request_duration_seconds",
      help: "HTTP request latency by route, method and status",
      labelNames: ["method", "route", "status"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.inFlight = new Gauge({ name: "omnimem_http_requests_in_flight", help: "Requests being handled now", registers });
    this.parsedItems = new Counter({
      name: "omnimem_parsed_items_total",
      help: "Non-text content items parsed, by modality (the sniffed one), status and parser",
      labelNames: ["modality", "status", "parser"],
      registers,
    });
    this.parseDuration = new Histogram({
      name: "omnimem_parse_duration_seconds",
      help: "Time to parse one content item, by modality (cache hits included)",
      labelNames: ["modality"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.parseRejections = new Counter({
      name: "omnimem_parse_rejections_total",
      help: "Add requests refused for their content (the 415 rows of the error table), by error code",
      labelNames: ["code"],
      registers,
    });
    this.modelCalls = new Counter({
      name: "omnimem_model_calls_total",
      help: "Calls to models (chat, embedding, vision, transcription, OCR) by kind, model and outcome",
      labelNames: ["kind", "model", "status"],
      registers,
    });
    this.modelDuration = new Histogram({
      name: "omnimem_model_call_duration_seconds",
      help: "Model call latency, retries included",
      labelNames: ["kind", "model"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.modelTokens = new Counter({
      name: "omnimem_model_tokens_total",
      help: "Tokens reported by chat models, by direction (input, output)",
      labelNames: ["kind", "model", "direction"],
      registers,
    });
  }

  /** The memory and index gauges, read from this Memory at each scrape. */
  observeMemory(memory: Memory): void {
    const registers = [this.registry];
    new Gauge({
      name: "omnimem_memories",
      help: "Memories in the catalog (episodes and facts, every owner)",
      registers,
      collect: async function (this: Gauge) {
        this.set(await memory.backend.store.count());
      },
    });
    new Gauge({
      name: "omnimem_index_documents",
      help: "Documents in the search index",
      registers,
      collect: async function (this: Gauge) {
        this.set(await memory.searchIndex.count());
      },
    });
    // prom-client calls collect with the Gauge as `this`, so the instance is reached through a name.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const metrics = this;
    new Gauge({
      name: "omnimem_index_size_bytes",
      help: "Bytes the search index takes on disk (<root>/.index/lance)",
      registers,
      collect: async function (this: Gauge) {
        this.set(await metrics.indexBytes(join(memory.config.root, ".index", "lance")));
      },
    });
  }

  requestStarted(): () => void {
    this.inFlight.inc();
    return () => this.inFlight.dec();
  }

  request(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, seconds);
  }

  parsed(parts: readonly PartReport[]): void {
    for (const part of parts) {
      this.parsedItems.inc({ modality: part.type, status: part.parseStatus, parser: part.parser });
      this.parseDuration.observe({ modality: part.type }, part.durationMs / 1000);
    }
  }

  parseRejected(code: string): void {
    this.parseRejections.inc({ code });
  }

  modelCall(kind: ModelKind, model: string, ok: boolean, seconds: number, usage?: ModelUsage): void {
    this.modelCalls.inc({ kind, model, status: ok ? "ok" : "error" });
    this.modelDuration.observe({ kind, model }, seconds);
    if (usage?.inputTokens !== undefined) this.modelTokens.inc({ kind, model, direction: "input" }, usage.inputTokens);
    if (usage?.outputTokens !== undefined) this.modelTokens.inc({ kind, model, direction: "output" }, usage.outputTokens);
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private async indexBytes(directory: string): Promise<number> {
    const now = Date.now();
    if (this.indexSize !== undefined && now - this.indexSize.at < INDEX_SIZE_TTL_MS) return this.indexSize.bytes;
    const bytes = await directorySize(directory);
    this.indexSize = { bytes, at: now };
    return bytes;
  }
}

async function directorySize(directory: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) total += await directorySize(path);
    else if (entry.isFile()) total += await stat(path).then((info) => info.size, () => 0);
  }
  return total;
}

/**
 * A chat model that answers with JSON validated against a zod schema, and keeps working with
 * weak and local models (Ollama, vLLM, LM Studio, llama.cpp) as well as with OpenAI.
 *
 * - Structured output is a ladder: `response_format: json_schema`, then `json_object` with the
 *   schema in the system prompt, then plain prompting (no `response_format`). An endpoint that
 *   answers 400 to a format steps the instance down one rung, for good: later calls start there.
 * - We parse the text ourselves, not the SDK: reasoning blocks (`<think>` ...) and code fences
 *   are stripped, the JSON is cut out of surrounding prose and near-JSON is repaired
 *   (jsonrepair) before zod validates it.
 * - An answer that does not parse or validate gets one correction round: the model sees its
 *   answer and the error and tries again.
 * - HTTP failures go through ../retry.ts (backoff, retry-after, per-attempt timeout).
 *
 * Prompts and answers hold people's memories: they are never logged.
 */
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import {
  APICallError,
  generateText as sdkGenerateText,
  type LanguageModel,
  type LanguageModelUsage,
  type ModelMessage,
  type OutputInterface,
} from "ai";
import { jsonrepair } from "jsonrepair";
import { z } from "zod";

import { createLogger, type Logger } from "../../log.js";
import { ProviderError } from "../../spec/errors.js";
import type { JsonRequest, ModelUsage, StructuredModel } from "../../spec/llm.js";
import {
  errorName,
  integerOption,
  redactUrl,
  resolveRetrySettings,
  scrubSecrets,
  secretsOf,
  withRetries,
  type RetrySettings,
  type RetrySettingsInput,
  endpointFailureReport,
  type EndpointOptions,
} from "../retry.js";

/** Any AI SDK language model instance (the SDK's string model ids are not accepted here). */
export type AISDKLanguageModel = Exclude<LanguageModel, string>;

/** How JSON is asked for, strongest first. */
export type JsonMode = "json_schema" | "json_object" | "prompt";

export const JSON_MODES: readonly JsonMode[] = ["json_schema", "json_object", "prompt"];

export interface ChatModelCommonOptions extends RetrySettingsInput {
  /** Sampling temperature. Default 0. `null` sends none, for reasoning models that reject the parameter. */
  temperature?: number | null;
  /** Cap on the answer's tokens; unset leaves it to the endpoint. */
  maxOutputTokens?: number;
  /** Where the structured-output ladder starts, when a model is known not to support the stronger modes. Default "json_schema". */
  jsonMode?: JsonMode;
  /** Gets one warning per step down the ladder (never prompts or answers). Default: warnings to stderr. */
  logger?: Logger;
}

export interface ChatModelConfig extends ChatModelCommonOptions, EndpointOptions {}

export interface ChatModelInstanceOptions extends ChatModelCommonOptions {
  /** An AI SDK language model, e.g. `openai.chat("gpt-4o-mini")`. */
  model: AISDKLanguageModel;
  /** Name for logs and errors. Default: the model's `modelId`. */
  modelName?: string;
}

export type ChatModelOptions = ChatModelConfig | ChatModelInstanceOptions;

export interface GenerateJsonRequest<T> extends JsonRequest<T> {
  /** What the JSON is for; sent with the schema. */
  schemaDescription?: string;
}

export interface GenerateJsonResult<T> {
  value: T;
  /** Tokens of every answer this call needed (both, when a correction was asked for). */
  usage: ModelUsage;
  /** The rung of the ladder that produced the answer. */
  mode: JsonMode;
  /** Answers the model gave: 1, or 2 when the first had to be corrected. */
  attempts: number;
}

export interface GenerateTextRequest {
  system: string;
  prompt: string;
  abortSignal?: AbortSignal;
}

export interface GenerateTextResult {
  /** The answer without reasoning blocks, trimmed. */
  text: string;
  usage: ModelUsage;
}

const PROVIDER_NAME = "omnimem";
/** How much of a bad answer goes back to the model in the correction round. */
const CORRECTION_EXCERPT_CHARS = 6000;
/** How much of a bad answer an error message quotes. */
const ERROR_EXCERPT_CHARS = 200;
const MAX_CANDIDATES = 8;

type ResponseFormat = Awaited<OutputInterface<string, string, never>["responseFormat"]>;
type JsonSchemaObject = Record<string, unknown>;

interface PreparedSchema {
  jsonSchema: JsonSchemaObject;
  /** The schema as compact JSON, for prompts. */
  text: string;
  /** Whether OpenAI's strict mode accepts it: every property required, no extra properties, everywhere. */
  strict: boolean;
  /** "object" when the root is an object (what json_object and json_schema modes require). */
  rootIsObject: boolean;
}

interface Answer {
  text: string;
  reasoning: string | undefined;
  usage: ModelUsage;
}

export class ChatModel implements StructuredModel {
  readonly modelName: string;

  private readonly languageModel: AISDKLanguageModel;
  /** Where errors say the request went. */
  private readonly endpoint: string;
  /** Whether we built the provider (and know it sends json_schema as asked). */
  private readonly ownsProvider: boolean;
  private readonly providerOptionsKey: string;
  private readonly retry: RetrySettings;
  private readonly temperature: number | null;
  private readonly maxOutputTokens: number | undefined;
  private readonly secrets: string[];
  private readonly injectedLogger: Logger | undefined;
  private logger: Logger | undefined;
  private jsonMode: JsonMode;
  private readonly schemas = new WeakMap<z.ZodType, PreparedSchema>();

  constructor(options: ChatModelOptions) {
    this.retry = resolveRetrySettings(options, 60_000);
    this.temperature = options.temperature === undefined ? 0 : options.temperature;
    if (this.temperature !== null && !(Number.isFinite(this.temperature) && this.temperature >= 0)) {
      throw new RangeError(`temperature must be a number >= 0, got ${String(options.temperature)}`);
    }
    this.maxOutputTokens =
      options.maxOutputTokens === undefined ? undefined : integerOption("maxOutputTokens", options.maxOutputTokens, 0);
    this.jsonMode = options.jsonMode ?? "json_schema";
    if (!JSON_MODES.includes(this.jsonMode)) throw new RangeError(`jsonMode must be one of ${JSON_MODES.join(", ")}`);
    this.injectedLogger = options.logger;

    if (typeof options.model === "string") {
      const config = options as ChatModelConfig;
      const provider = createOpenAICompatible({
        name: PROVIDER_NAME,
        baseURL: config.baseURL,
        // Without it the provider downgrades a schema to json_object on its own.
        supportsStructuredOutputs: true,
        ...(config.apiKey === undefined ? {} : { apiKey: config.apiKey }),
        ...(config.headers === undefined ? {} : { headers: config.headers }),
      });
      this.languageModel = provider.chatModel(config.model);
      this.modelName = config.model;
      this.endpoint = `${redactUrl(config.baseURL)}/chat/completions`;
      this.ownsProvider = true;
      this.providerOptionsKey = PROVIDER_NAME;
      this.secrets = secretsOf(config.apiKey, config.headers);
    } else {
      const instanceOptions = options as ChatModelInstanceOptions;
      this.languageModel = instanceOptions.model;
      this.modelName = instanceOptions.modelName ?? instanceOptions.model.modelId;
      this.endpoint = instanceOptions.model.provider;
      this.ownsProvider = false;
      // AI SDK providers read their options under their own name (the part of `provider` before the dot).
      this.providerOptionsKey = instanceOptions.model.provider.split(".")[0]?.trim() || PROVIDER_NAME;
      this.secrets = [];
    }
  }

  /** The rung the next `generateJson` starts on; only ever moves down. */
  get currentJsonMode(): JsonMode {
    return this.jsonMode;
  }

  /** Asks for JSON matching `schema`; returns the parsed, validated value. */
  async generateJson<T>(request: GenerateJsonRequest<T>): Promise<GenerateJsonResult<T>> {
    const schema = this.prepareSchema(request.schema);
    const messages: ModelMessage[] = [{ role: "user", content: request.prompt }];
    let usage: ModelUsage = {};

    const first = await this.requestJson(request, schema, messages);
    usage = addUsage(usage, first.answer.usage);
    const firstOutcome = await parseAnswer(first.answer, request.schema, request.schemaName);
    if (firstOutcome.ok) return { value: firstOutcome.value, usage, mode: first.mode, attempts: 1 };

    messages.push(
      { role: "assistant", content: excerpt(firstOutcome.cleaned, CORRECTION_EXCERPT_CHARS) || "(empty answer)" },
      { role: "user", content: correctionPrompt(firstOutcome.error, request.schemaName, schema.rootIsObject) },
    );
    const second = await this.requestJson(request, schema, messages);
    usage = addUsage(usage, second.answer.usage);
    const secondOutcome = await parseAnswer(second.answer, request.schema, request.schemaName);
    if (secondOutcome.ok) return { value: secondOutcome.value, usage, mode: second.mode, attempts: 2 };

    const quoted = excerpt(secondOutcome.cleaned.replace(/\s+/g, " "), ERROR_EXCERPT_CHARS);
    // Not retryable: the same input to the same model (at temperature 0) most likely fails the
    // same way again, twice already; what helps is a stronger model or a lower jsonMode.
    throw new ProviderError(
      scrubSecrets(
        `Chat model ${this.modelName} at ${this.endpoint}: the model's output did not match the schema "${request.schemaName}" after a correction round (${secondOutcome.error}); output began: ${JSON.stringify(quoted)}`,
        this.secrets,
      ),
      {
        isRetryable: false,
        details: { endpoint: this.endpoint, model: this.modelName, schema: request.schemaName, mode: second.mode, status: "invalid output" },
      },
    );
  }

  /** A plain text answer; reasoning blocks are stripped. */
  async generateText(request: GenerateTextRequest): Promise<GenerateTextResult> {
    const answer = await this.send(request.system, [{ role: "user", content: request.prompt }], undefined, {}, request.abortSignal);
    return { text: stripReasoning(answer.text).trim(), usage: answer.usage };
  }

  // -------------------------------------------------------------------------------------

  /** One answer, stepping down the ladder while the endpoint rejects the response format. */
  private async requestJson<T>(
    request: GenerateJsonRequest<T>,
    schema: PreparedSchema,
    messages: ModelMessage[],
  ): Promise<{ answer: Answer; mode: JsonMode }> {
    let mode = this.jsonMode;
    for (;;) {
      const system = systemPromptFor(mode, request, schema, this.ownsProvider);
      const sent = mode === "prompt" ? withPromptReminder(messages, request.schemaName, schema.rootIsObject) : messages;
      const format = responseFormatFor(mode, request, schema);
      const providerOptions = mode === "json_schema" ? { [this.providerOptionsKey]: { strictJsonSchema: schema.strict } } : {};
      try {
        return { answer: await this.send(system, sent, format, providerOptions, request.abortSignal), mode };
      } catch (error) {
        const next = JSON_MODES[JSON_MODES.indexOf(mode) + 1];
        if (next === undefined || !(error instanceof ProviderError) || !isResponseFormatRejection(error.cause)) throw error;
        this.stepDown(mode, next);
        mode = next;
      }
    }
  }

  private stepDown(from: JsonMode, to: JsonMode): void {
    // Concurrent calls may both see a rejection; the mode only ever moves down.
    if (JSON_MODES.indexOf(to) <= JSON_MODES.indexOf(this.jsonMode)) return;
    this.jsonMode = to;
    this.logger ??= this.injectedLogger ?? createLogger("warn");
    this.logger.warn(
      { model: this.modelName, endpoint: this.endpoint, from, to },
      `chat model rejected response_format ${from}; using ${to} from now on`,
    );
  }

  private async send(
    system: string,
    messages: ModelMessage[],
    format: ResponseFormat | undefined,
    providerOptions: Record<string, Record<string, boolean>>,
    abortSignal: AbortSignal | undefined,
  ): Promise<Answer> {
    const output = format === undefined ? undefined : rawTextOutput(format);
    return withRetries(
      async (signal) => {
        const result = await sdkGenerateText({
          model: this.languageModel,
          system,
          messages,
          maxRetries: 0,
          abortSignal: signal,
          ...(output === undefined ? {} : { output }),
          ...(this.temperature === null ? {} : { temperature: this.temperature }),
          ...(this.maxOutputTokens === undefined ? {} : { maxOutputTokens: this.maxOutputTokens }),
          ...(Object.keys(providerOptions).length === 0 ? {} : { providerOptions }),
        });
        return { text: result.text, reasoning: result.reasoningText, usage: toUsage(result.usage) };
      },
      {
        ...this.retry,
        ...(abortSignal === undefined ? {} : { abortSignal }),
        secrets: this.secrets,
        ...endpointFailureReport("Chat", this.endpoint, this.modelName),
      },
    );
  }


  private prepareSchema(schema: z.ZodType): PreparedSchema {
    let prepared = this.schemas.get(schema);
    if (prepared === undefined) {
      prepared = prepareSchema(schema);
      this.schemas.set(schema, prepared);
    }
    return prepared;
  }
}

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

/**
 * An AI SDK output spec that only sets `response_format` and hands back the raw text: the SDK's
 * own `Output.object` would throw on anything that is not clean JSON, which is what we repair.
 */
function rawTextOutput(format: ResponseFormat): OutputInterface<string, string, never> {
  return {
    name: "omnimem-raw-json",
    responseFormat: Promise.resolve(format),
    parseCompleteOutput: async ({ text }) => text,
    parsePartialOutput: async ({ text }) => ({ partial: text }),
    createElementStreamTransform: () => undefined,
  };
}

function responseFormatFor(mode: JsonMode, request: GenerateJsonRequest<unknown>, schema: PreparedSchema): ResponseFormat | undefined {
  if (mode === "prompt") return undefined;
  if (mode === "json_object") return { type: "json" };
  return {
    type: "json",
    schema: schema.jsonSchema as NonNullable<Extract<ResponseFormat, { type: "json" }>["schema"]>,
    name: schemaNameForApi(request.schemaName),
    ...(request.schemaDescription === undefined ? {} : { description: request.schemaDescription }),
  };
}

/** OpenAI accepts `^[a-zA-Z0-9_-]{1,64}$` as a schema name. */
function schemaNameForApi(name: string): string {
  const cleaned = name.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 64);
  return cleaned.length > 0 ? cleaned : "response";
}

function systemPromptFor(
  mode: JsonMode,
  request: GenerateJsonRequest<unknown>,
  schema: PreparedSchema,
  ownsProvider: boolean,
): string {
  const what = schema.rootIsObject ? "a single JSON object" : "a single JSON value";
  // With json_schema the endpoint holds the schema; a model passed in by a library user may be
  // on a provider that quietly downgrades to json_object, so it gets the schema in words too.
  if (mode === "json_schema" && ownsProvider) {
    return `${request.system}\n\nAnswer with ${what} that matches the "${request.schemaName}" schema.`;
  }
  const description = request.schemaDescription === undefined ? "" : ` (${request.schemaDescription})`;
  return [
    request.system,
    "",
    `Answer with ${what} and nothing else: no prose, no code fences, no comments.`,
    `It must match this JSON schema "${request.schemaName}"${description}:`,
    schema.text,
  ].join("\n");
}

function withPromptReminder(messages: ModelMessage[], schemaName: string, rootIsObject: boolean): ModelMessage[] {
  const last = messages[messages.length - 1];
  if (last === undefined || last.role !== "user" || typeof last.content !== "string") return messages;
  const what = rootIsObject ? "JSON object" : "JSON value";
  return [
    ...messages.slice(0, -1),
    { role: "user", content: `${last.content}\n\nReply with only the ${what} that matches the "${schemaName}" schema from the system message.` },
  ];
}

function correctionPrompt(error: string, schemaName: string, rootIsObject: boolean): string {
  const what = rootIsObject ? "JSON object" : "JSON value";
  return [
    `Your previous answer could not be used: ${error}.`,
    `Reply again with only the corrected ${what} matching the "${schemaName}" schema, and nothing else.`,
  ].join("\n");
}

/**
 * True when an error says the endpoint does not take the `response_format` we sent (a 400 or
 * 422 that names it), or a provider refused it before sending.
 */
export function isResponseFormatRejection(error: unknown): boolean {
  const mentionsFormat = (text: string): boolean =>
    /response_?format|json[ _-]?schema|json_object|structured[ _-]?outputs?|guided_json/i.test(text);
  if (APICallError.isInstance(error)) {
    if (error.statusCode !== 400 && error.statusCode !== 422) return false;
    return mentionsFormat(`${error.message}\n${error.responseBody ?? ""}`);
  }
  return errorName(error) === "AI_UnsupportedFunctionalityError" && mentionsFormat(String((error as Error).message));
}

function toUsage(usage: LanguageModelUsage): ModelUsage {
  const out: ModelUsage = {};
  if (usage.inputTokens !== undefined) out.inputTokens = usage.inputTokens;
  if (usage.outputTokens !== undefined) out.outputTokens = usage.outputTokens;
  return out;
}

function addUsage(a: ModelUsage, b: ModelUsage): ModelUsage {
  const out: ModelUsage = {};
  if (a.inputTokens !== undefined || b.inputTokens !== undefined) out.inputTokens = (a.inputTokens ?? 0) + (b.inputTokens ?? 0);
  if (a.outputTokens !== undefined || b.outputTokens !== undefined) out.outputTokens = (a.outputTokens ?? 0) + (b.outputTokens ?? 0);
  return out;
}

// ---------------------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------------------

function prepareSchema(schema: z.ZodType): PreparedSchema {
  // "input": the model writes what the schema parses. Draft 7 is what OpenAI-style endpoints know.
  const jsonSchema = z.toJSONSchema(schema, { target: "draft-7", io: "input", unrepresentable: "any" }) as JsonSchemaObject;
  delete jsonSchema["$schema"];
  closeObjects(jsonSchema);
  return {
    jsonSchema,
    text: JSON.stringify(jsonSchema),
    strict: isStrictCompatible(jsonSchema),
    rootIsObject: jsonSchema["type"] === "object",
  };
}

function isSchemaObject(value: unknown): value is JsonSchemaObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function childSchemas(node: JsonSchemaObject): JsonSchemaObject[] {
  const children: unknown[] = [];
  const properties = node["properties"];
  if (isSchemaObject(properties)) children.push(...Object.values(properties));
  const items = node["items"];
  if (Array.isArray(items)) children.push(...items);
  else children.push(items);
  for (const key of ["anyOf", "allOf", "oneOf", "prefixItems"]) {
    const list = node[key];
    if (Array.isArray(list)) children.push(...list);
  }
  for (const key of ["definitions", "$defs"]) {
    const defs = node[key];
    if (isSchemaObject(defs)) children.push(...Object.values(defs));
  }
  const additional = node["additionalProperties"];
  if (isSchemaObject(additional)) children.push(additional);
  return children.filter(isSchemaObject);
}

/**
 * `additionalProperties: false` on every object that does not say otherwise, as the AI SDK does:
 * strict structured output needs it, and zod drops unknown keys anyway.
 */
function closeObjects(node: JsonSchemaObject): void {
  if (node["type"] === "object" && node["additionalProperties"] === undefined && node["propertyNames"] === undefined) {
    node["additionalProperties"] = false;
  }
  for (const child of childSchemas(node)) closeObjects(child);
}

function isStrictCompatible(node: JsonSchemaObject): boolean {
  if (node["type"] === "object") {
    if (node["additionalProperties"] !== false) return false;
    const properties = isSchemaObject(node["properties"]) ? Object.keys(node["properties"]) : [];
    const required = Array.isArray(node["required"]) ? node["required"] : [];
    if (!properties.every((key) => required.includes(key))) return false;
  }
  return childSchemas(node).every(isStrictCompatible);
}

// ---------------------------------------------------------------------------------------
// Parsing the answer
// ---------------------------------------------------------------------------------------

const REASONING_TAGS = "think|thinking|reasoning|reflection";
const CLOSED_REASONING = new RegExp(`<(${REASONING_TAGS})\\b[^>]*>[\\s\\S]*?</\\1\\s*>`, "gi");
const ORPHAN_CLOSE = new RegExp(`</(?:${REASONING_TAGS})\\s*>`, "gi");
const LEADING_OPEN = new RegExp(`^\\s*<(?:${REASONING_TAGS})\\b[^>]*>`, "i");

/**
 * Drops reasoning: closed `<think>…</think>` (and thinking/reasoning/reflection) blocks; text
 * up to a closing tag whose opening tag was in the prompt template (DeepSeek-R1, Qwen3); and an
 * unclosed leading `<think>` up to the first `{` (the model ran out of tokens or forgot to close it).
 */
export function stripReasoning(text: string): string {
  let out = text.replace(CLOSED_REASONING, "");
  let lastClose = -1;
  for (const match of out.matchAll(ORPHAN_CLOSE)) lastClose = match.index + match[0].length;
  if (lastClose >= 0) out = out.slice(lastClose);
  const open = LEADING_OPEN.exec(out);
  if (open !== null) {
    const rest = out.slice(open[0].length);
    const brace = rest.indexOf("{");
    out = brace >= 0 ? rest.slice(brace) : rest;
  }
  return out;
}

/** Contents of markdown code fences, closed or (when the answer was cut off) not. */
function fencedBlocks(text: string): string[] {
  const blocks: string[] = [];
  const fence = /```[^\n`]*\n?([\s\S]*?)(?:```|$)/g;
  for (const match of text.matchAll(fence)) {
    const body = match[1];
    if (body !== undefined && /[[{]/.test(body)) blocks.push(body);
  }
  return blocks;
}

/**
 * Top-level `{…}` / `[…]` regions, in order. Strings are skipped while counting brackets,
 * single-quoted ones too when they stand where JSON allows a string; a region that never
 * closes (a cut-off answer) runs to the end, for jsonrepair to finish.
 */
function bracketRegions(text: string): string[] {
  const regions: string[] = [];
  let index = 0;
  while (index < text.length && regions.length < MAX_CANDIDATES) {
    const start = text.slice(index).search(/[[{]/);
    if (start < 0) break;
    const begin = index + start;
    const end = regionEnd(text, begin);
    regions.push(text.slice(begin, end));
    index = end;
  }
  return regions;
}

function regionEnd(text: string, begin: number): number {
  let depth = 0;
  let quote: string | undefined;
  let previousSignificant = "";
  for (let i = begin; i < text.length; i++) {
    const char = text[i] as string;
    if (quote !== undefined) {
      if (char === "\\") i++;
      else if (char === quote) quote = undefined;
      continue;
    }
    if (char === '"' || (char === "'" && /[{[,:]/.test(previousSignificant))) {
      quote = char;
    } else if (char === "{" || char === "[") {
      depth++;
    } else if (char === "}" || char === "]") {
      depth--;
      if (depth === 0) return i + 1;
    }
    if (!/\s/.test(char)) previousSignificant = char;
  }
  return text.length;
}

/** The texts worth trying as JSON, most likely first. */
export function jsonCandidates(text: string): string[] {
  const body = stripReasoning(text);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const source of [...fencedBlocks(body), body]) {
    for (const region of bracketRegions(source)) {
      const trimmed = region.trim();
      if (!seen.has(trimmed)) {
        seen.add(trimmed);
        out.push(trimmed);
      }
    }
  }
  return out.slice(0, MAX_CANDIDATES);
}

type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

/** JSON.parse, then jsonrepair for near-JSON (trailing commas, single quotes, unquoted keys, comments, True/None, smart quotes, missing closers). */
export function parseLenientJson(candidate: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(candidate);
  } catch {
    try {
      value = JSON.parse(jsonrepair(candidate));
    } catch (error) {
      return { ok: false, error: `the answer is not valid JSON (${error instanceof Error ? error.message : String(error)})` };
    }
  }
  // Some models send their JSON as a JSON string.
  if (typeof value === "string" && /^\s*[[{]/.test(value)) {
    const inner = parseLenientJson(value);
    if (inner.ok) return inner;
  }
  return { ok: true, value };
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: string; cleaned: string };

async function parseAnswer<T>(answer: Answer, schema: z.ZodType<T>, schemaName: string): Promise<Outcome<T>> {
  const cleaned = stripReasoning(answer.text).trim();
  let candidates = jsonCandidates(answer.text);
  // A local server may have routed everything into the reasoning channel.
  if (candidates.length === 0 && answer.reasoning !== undefined) candidates = jsonCandidates(answer.reasoning);
  if (candidates.length === 0) {
    return { ok: false, cleaned, error: cleaned.length === 0 ? "the answer was empty" : "the answer contains no JSON object" };
  }
  let firstError: string | undefined;
  for (const candidate of candidates) {
    const parsed = parseLenientJson(candidate);
    if (!parsed.ok) {
      firstError ??= parsed.error;
      continue;
    }
    const validated = await validate(parsed.value, schema, schemaName);
    if (validated.ok) return validated;
    // A schema error says more than a parse error of some other bracketed text.
    if (firstError === undefined || firstError.startsWith("the answer is not valid JSON")) firstError = validated.error;
  }
  return { ok: false, cleaned, error: firstError ?? "the answer contains no JSON object" };
}

async function validate<T>(value: unknown, schema: z.ZodType<T>, schemaName: string): Promise<Outcome<T>> {
  const result = await schema.safeParseAsync(value);
  if (result.success) return { ok: true, value: result.data };
  // Weak models like to wrap the answer: {"<schemaName>": {...}} or {"response": {...}}.
  if (isSchemaObject(value)) {
    const keys = Object.keys(value);
    const only = keys.length === 1 ? keys[0] : keys.includes(schemaName) ? schemaName : undefined;
    const inner = only === undefined ? undefined : value[only];
    if (typeof inner === "object" && inner !== null) {
      const unwrapped = await schema.safeParseAsync(inner);
      if (unwrapped.success) return { ok: true, value: unwrapped.data };
    }
  }
  return { ok: false, cleaned: "", error: `the JSON does not match the schema: ${formatIssues(result.error)}` };
}

function formatIssues(error: z.ZodError): string {
  const issues = error.issues.slice(0, 10).map((issue) => {
    const path = issue.path.map((part) => (typeof part === "number" ? `[${part}]` : `.${String(part)}`)).join("");
    return `${path.length === 0 ? "(root)" : path.replace(/^\./, "")}: ${issue.message}`;
  });
  const more = error.issues.length > 10 ? `; and ${error.issues.length - 10} more` : "";
  return issues.join("; ") + more;
}

function excerpt(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

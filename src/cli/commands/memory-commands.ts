import type { Memory, OwnerOptions } from "../../memory.js";
import { NotFoundError } from "../../spec/errors.js";
import type { Metadata, SearchFilter, SearchMethod } from "../../spec/types.js";
import { integerOption, jsonOption, numberOption, requireWords, UsageError, type CliValues } from "../args.js";
import { contentFromArguments } from "../file-part.js";
import { emit, type Output } from "../output.js";
import { renderAdd, renderHistory, renderHits, renderItem, renderItems } from "../render.js";

type MemoryCommand = (memory: Memory, values: CliValues, words: string[], output: Output) => Promise<number>;

const SEARCH_METHODS = new Set<SearchMethod>(["keyword", "vector", "hybrid", "agentic"]);

/** The commands that are one call of the library: add, search, get, flush, delete, update, history. */
export const MEMORY_COMMANDS: Record<string, MemoryCommand> = {
  async add(memory, values, words, output) {
    const content = await contentFromArguments(words, process.cwd());
    const result = await memory.add([{ role: "user", content }], {
      ...owner(values),
      ...(values.session === undefined ? {} : { sessionId: values.session }),
      ...(values.run === undefined ? {} : { runId: values.run }),
      ...(values.metadata === undefined ? {} : { metadata: jsonOption(values.metadata, "metadata") as Metadata }),
      infer: values.infer ?? true,
      flush: values.flush ?? true,
    });
    emit(output, result, () => renderAdd(output, result));
    return 0;
  },

  async search(memory, values, words, output) {
    const method = values.method as SearchMethod | undefined;
    if (method !== undefined && !SEARCH_METHODS.has(method)) throw new UsageError(`--method must be one of keyword, vector, hybrid, agentic (got ${JSON.stringify(method)})`);
    const filters = combinedFilters(values);
    const { results } = await memory.search(requireWords(words, "query"), {
      ...owner(values),
      ...(method === undefined ? {} : { method }),
      ...(values.limit === undefined ? {} : { limit: integerOption(values.limit, "limit", { min: 1, max: 1000 }) }),
      ...(values.threshold === undefined ? {} : { threshold: numberOption(values.threshold, "threshold") }),
      ...(filters === undefined ? {} : { filters }),
    });
    emit(output, { results }, () => renderHits(output, results));
    return 0;
  },

  async get(memory, values, words, output) {
    if (words.length > 0) {
      const id = requireWords(words, "memory id");
      const item = await memory.get(id, byIdOwner(values));
      if (item === null) throw new NotFoundError(`no memory with id ${id}`, { details: { id } });
      emit(output, item, () => renderItem(output, item));
      return 0;
    }
    const filters = combinedFilters(values);
    const page = await memory.getAll({
      ...owner(values),
      ...(values.limit === undefined ? {} : { limit: integerOption(values.limit, "limit", { min: 1, max: 1000 }) }),
      ...(values.cursor === undefined ? {} : { cursor: values.cursor }),
      ...(filters === undefined ? {} : { filters }),
    });
    emit(output, page, () => renderItems(output, page.results, page.nextCursor));
    return 0;
  },

  async flush(memory, values, _words, output) {
    if (values.session === undefined) throw new UsageError("flush needs --session");
    const result = await memory.flush({ ...owner(values), sessionId: values.session });
    emit(output, result, () => (result.results.length === 0 ? "nothing buffered in that session" : renderAdd(output, result)));
    return 0;
  },

  async delete(memory, values, words, output) {
    if (values.all) {
      if (words.length > 0) throw new UsageError("delete takes a memory id or --all with --user/--agent, not both");
      const result = await memory.deleteAll(owner(values));
      emit(output, result, () => `deleted ${result.deleted} memories`);
      return 0;
    }
    const result = await memory.delete(requireWords(words, "memory id (or --all with --user/--agent)"), byIdOwner(values));
    emit(output, result, () => result.message);
    return 0;
  },

  async update(memory, values, words, output) {
    const [id, ...text] = words;
    if (id === undefined) throw new UsageError("missing memory id");
    const metadata = values.metadata === undefined ? undefined : (jsonOption(values.metadata, "metadata") as Metadata);
    const newText = text.join(" ").trim();
    if (newText === "" && metadata === undefined) throw new UsageError("update needs the new text, --metadata, or both");
    await memory.update(id, { ...(newText === "" ? {} : { text: newText }), ...(metadata === undefined ? {} : { metadata }) }, byIdOwner(values));
    const item = await memory.get(id, byIdOwner(values));
    if (item === null) throw new NotFoundError(`no memory with id ${id}`, { details: { id } });
    emit(output, item, () => renderItem(output, item));
    return 0;
  },

  async history(memory, values, words, output) {
    const id = requireWords(words, "memory id");
    const entries = await memory.history(id, byIdOwner(values));
    // Unknown, or not the named owner's: the same answer (see Memory.history).
    if (entries.length === 0) throw new NotFoundError(`no memory with id ${id}`, { details: { id } });
    emit(output, entries, () => renderHistory(output, entries));
    return 0;
  },
};

/**
 * The owner a by-id command checks: --user and/or --agent (both: the user's memory made with
 * that agent) and --run; none: any owner's in the --app/--project.
 */
function byIdOwner(values: CliValues): OwnerOptions | undefined {
  const owner: OwnerOptions = {};
  if (values.user !== undefined) owner.userId = values.user;
  if (values.agent !== undefined) owner.agentId = values.agent;
  if (values.run !== undefined) owner.runId = values.run;
  return Object.keys(owner).length === 0 ? undefined : owner;
}

function owner(values: CliValues): OwnerOptions {
  if (values.user !== undefined && values.agent !== undefined) throw new UsageError("give --user or --agent, not both");
  if (values.user === undefined && values.agent === undefined) throw new UsageError("missing --user <id> (or --agent <id>)");
  return values.user !== undefined ? { userId: values.user } : { agentId: values.agent! };
}

/** `--filters` (Mem0's JSON filters) ANDed with the shorthand options `--session` and `--kind`. */
function combinedFilters(values: CliValues): SearchFilter | undefined {
  const parts: SearchFilter[] = [];
  const given = jsonOption(values.filters, "filters");
  if (given !== undefined) {
    if (given === null || typeof given !== "object" || Array.isArray(given)) throw new UsageError("--filters must be a JSON object", "filters");
    parts.push(given as SearchFilter);
  }
  if (values.session !== undefined) parts.push({ session_id: values.session } as SearchFilter);
  if (values.kind !== undefined) parts.push({ kind: values.kind } as SearchFilter);
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? parts[0] : ({ AND: parts } as SearchFilter);
}

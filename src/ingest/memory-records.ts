import { toMemoryItem } from "../memory-item.js";
import { CapabilityUnavailableError, ProviderError, StaleRecordError, ValidationError } from "../spec/errors.js";
import type { MemoryStore } from "../spec/memory-store.js";
import type { HistoryEntry, MemoryItem, MemoryRecord, Metadata } from "../spec/types.js";
import { assertMemoryId } from "../store/ids.js";
import { recordMatchesOwner } from "../store/owner-match.js";
import { sha256 } from "../util/hash.js";
import {
  type AddResultEvent,
  type GetAllOptions,
  type OwnerOptions,
  checkTextLength,
  storableText,
  memoryNotFound,
  narrowing,
  pageOf,
  sortOf,
  withOwnerFromFilters,
} from "./call-options.js";
import { EXTRACTION_PENDING, type MemoryFormation } from "./formation.js";
import type { MemoryWriter } from "./memory-writer.js";
import { validMetadata } from "./metadata.js";
import type { OwnerScopes } from "./owner-scopes.js";
import type { SessionBuffer } from "../spec/session-buffer.js";
import { KeyedMutex } from "../util/keyed-mutex.js";

const DELETE_BATCH = 500;
/** Reads and re-applies of an update that another process raced (see update). */
const STALE_UPDATE_ATTEMPTS = 5;

/** Reading, listing, changing and deleting stored memories, each owner-checked (Memory's by-id and list calls). */
export class MemoryRecords {
  /** Changes to one memory (update, delete), one at a time: see update. */
  private readonly changing = new KeyedMutex();

  constructor(
    private readonly store: MemoryStore,
    private readonly writer: MemoryWriter,
    private readonly scopes: OwnerScopes,
    private readonly formation: MemoryFormation,
    private readonly buffer: SessionBuffer,
  ) {}

  async get(id: string, owner?: OwnerOptions): Promise<MemoryItem | null> {
    const record = await this.ownedRecord(id, owner);
    return record === undefined ? null : toMemoryItem(record);
  }

  async getAll(options: GetAllOptions): Promise<{ results: MemoryItem[]; nextCursor?: string; total?: number }> {
    const { limit, offset } = pageOf(options);
    const sort = sortOf(options);
    const owner = withOwnerFromFilters(options);
    const scope = this.scopes.scopeOf(owner);
    const filter = narrowing(owner, options.filters);
    const page = await this.store.list({ scope, filter, limit, cursor: options.cursor, offset, sort });
    const result: { results: MemoryItem[]; nextCursor?: string; total?: number } = { results: page.records.map(toMemoryItem) };
    if (page.nextCursor !== undefined) result.nextCursor = page.nextCursor;
    if (options.withTotal === true) result.total = await this.store.count(scope, filter);
    return result;
  }

  /**
   * An update reads the memory and writes it back whole (a text-only change keeps the metadata it
   * read): two at once on one memory would each write back what the other is replacing, and one
   * acknowledged change would be lost. So changes to one memory take turns (within this process:
   * an embedded root has one; PostgreSQL servers sharing a database do not serialise each other's).
   */
  update(id: string, data: string | { text?: string; metadata?: Metadata }, owner?: OwnerOptions): Promise<{ message: string; id: string; memory: string }> {
    return this.changing.run(id, async () => {
      // Across processes (servers sharing a database) the store refuses a write made from a
      // version another one changed meanwhile: read again and re-apply this change on top.
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.updateNow(id, data, owner);
        } catch (error) {
          if (!(error instanceof StaleRecordError) || attempt >= STALE_UPDATE_ATTEMPTS) throw error;
        }
      }
    });
  }

  private async updateNow(id: string, data: string | { text?: string; metadata?: Metadata }, owner?: OwnerOptions): Promise<{ message: string; id: string; memory: string }> {
    const current = await this.ownedRecord(id, owner);
    if (current === undefined) throw memoryNotFound(id);
    const change = typeof data === "string" ? { text: data } : data;
    if (change === null || typeof change !== "object") throw new ValidationError("update needs a text or { text, metadata }");
    const text = change.text === undefined ? current.text : typeof change.text === "string" ? storableText(change.text) : change.text;
    if (typeof text !== "string" || text.trim() === "") {
      throw new ValidationError("the new text must be a non-empty string", { details: { path: "text" } });
    }
    checkTextLength(text, "text");
    const record: MemoryRecord = {
      ...current,
      text,
      metadata: change.metadata === undefined ? current.metadata : validMetadata(change.metadata),
      hash: sha256(text),
      updatedAt: Math.max(Date.now(), current.updatedAt + 1),
    };
    await this.writer.write([{ op: "update", record, expectedUpdatedAt: current.updatedAt }]);
    return { message: "Memory updated successfully!", id, memory: text };
  }

  delete(id: string, owner?: OwnerOptions): Promise<{ message: string }> {
    return this.changing.run(id, async () => {
      if ((await this.ownedRecord(id, owner)) === undefined) throw memoryNotFound(id);
      await this.writer.write([{ op: "delete", id }]);
      return { message: "Memory deleted successfully!" };
    });
  }

  async deleteAll(options: OwnerOptions = {}): Promise<{ message: string; deleted: number }> {
    const scope = this.scopes.scopeOf(options);
    const filter = narrowing(options, undefined);
    // Turns waiting in the owner's session buffers go first: left there, the next flush (or the
    // idle flush, minutes later) would make memories of them again.
    await this.buffer.discard(scope, options.runId);
    let deleted = 0;
    for (;;) {
      const page = await this.store.list({ scope, filter, limit: DELETE_BATCH });
      if (page.records.length === 0) break;
      await this.writer.write(page.records.map((record) => ({ op: "delete", id: record.id })));
      deleted += page.records.length;
    }
    return { message: "Memories deleted successfully!", deleted };
  }

  history(id: string, owner?: OwnerOptions): Promise<HistoryEntry[]> {
    return this.store.history(assertMemoryId(id), this.scopes.ownerMatch(owner));
  }

  async owners(
    options: Pick<OwnerOptions, "appId" | "projectId"> & { limit?: number; offset?: number },
  ): Promise<{ owners: { userId?: string; agentId?: string; memories: number; lastTimestamp: string }[]; total: number }> {
    const { appId, projectId } = this.scopes.appAndProject(options);
    const page = await this.store.owners(appId, projectId, pageOf(options));
    return {
      owners: page.owners.map((owner) => ({
        ...(owner.ownerType === "user" ? { userId: owner.ownerId } : { agentId: owner.ownerId }),
        memories: owner.memories,
        lastTimestamp: new Date(owner.lastTimestamp).toISOString(),
      })),
      total: page.total,
    };
  }

  /** Extracts again the owner's episodes stored verbatim because extraction kept failing; see Memory.reextract. */
  async reextract(options: OwnerOptions): Promise<{ results: AddResultEvent[]; episodes: string[]; failed: { id: string; error: string }[] }> {
    if (this.formation.localMode) throw new CapabilityUnavailableError("re-extraction needs an extraction LLM: set [llm]");
    const owner = withOwnerFromFilters(options);
    const scope = this.scopes.scopeOf(owner);
    const filter = narrowing(owner, { AND: [{ kind: "episode" }, { ...EXTRACTION_PENDING }] });
    // Listed first: each re-extraction removes its episode from the filter, which would shift pages.
    const marked: MemoryRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.store.list({ scope, filter, limit: DELETE_BATCH, ...(cursor === undefined ? {} : { cursor }) });
      marked.push(...page.records);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    const done: { results: AddResultEvent[]; episodes: string[]; failed: { id: string; error: string }[] } = { results: [], episodes: [], failed: [] };
    for (const episode of marked.reverse()) {
      try {
        const { events, episodes } = await this.formation.reextract(episode);
        done.results.push(...events);
        done.episodes.push(...episodes);
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        done.failed.push({ id: episode.id, error: error.message });
      }
    }
    return done;
  }

  /** The memory with this id when `owner` may reach it, else undefined. */
  private async ownedRecord(id: string, owner: OwnerOptions | undefined): Promise<MemoryRecord | undefined> {
    const match = this.scopes.ownerMatch(owner);
    const record = await this.store.get(assertMemoryId(id));
    return record !== undefined && recordMatchesOwner(record, match) ? record : undefined;
  }
}

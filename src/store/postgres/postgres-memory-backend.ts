import type { Backend, BackendDescription } from "../../spec/backend.js";
import type { MemoryRecord } from "../../spec/types.js";
import { PostgresBackend, type PostgresBackendOptions } from "./postgres-backend.js";

/**
 * The PostgreSQL backend as Memory sees it (spec/backend.ts): any number of servers on one
 * database. A write is indexed in its own call (the record's row is the index), so there is no
 * outbox for search to merge: `pendingRecords` is empty, and a row whose embedding a crash left
 * unwritten is found by keyword search and re-embedded by the start-up replay (pendingIndexJobs).
 */
export class PostgresMemoryBackend extends PostgresBackend implements Backend {
  readonly kind = "postgres";
  private readonly location: string;

  constructor(options: PostgresBackendOptions) {
    super(options);
    this.location = withoutPassword(options.url);
  }

  open(): Promise<void> {
    return this.store.open();
  }

  async close(): Promise<void> {
    await this.index.close();
    await this.sessionLocks.close();
    await this.store.close();
  }

  async pendingRecords(): Promise<MemoryRecord[]> {
    return [];
  }

  async openWarnings(): Promise<string[]> {
    return [];
  }

  describe(): BackendDescription {
    return { kind: this.kind, location: `${this.location} (schema ${this.database.schema})` };
  }
}

/** The URL to show in health and logs: the password replaced, whatever else it holds. */
export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "postgres://(unparseable URL)";
  }
}

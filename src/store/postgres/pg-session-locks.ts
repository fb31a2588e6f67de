import type pg from "pg";
import type { SessionKey } from "../../spec/session-buffer.js";
import type { SessionLocks } from "../../spec/session-locks.js";
import { KeyedMutex } from "../../util/keyed-mutex.js";
import type { PostgresDatabase } from "./pg-database.js";

const FIRST_RETRY_MS = 10;
const MAX_RETRY_MS = 200;

/**
 * Makes the work on one session (buffering its turns, cutting and extracting its episodes)
 * exclusive across every server on the database, so two servers never extract the same turns.
 *
 * One advisory lock per session, keyed by a hash of the session key computed in SQL. The locks
 * live on one connection of their own, outside the pool: held locks never starve the work of
 * connections, and when a server dies its connection closes and PostgreSQL drops its locks,
 * so a crash never leaves a session locked. That connection takes locks with
 * `pg_try_advisory_lock` and retries with backoff (a blocking wait would stall every other
 * session's lock on it). Within the process a mutex per session comes first, because advisory
 * locks are re-entrant within one connection.
 */
export class PostgresSessionLocks implements SessionLocks {
  private readonly local = new KeyedMutex();
  private client: Promise<pg.Client> | undefined;

  constructor(private readonly database: PostgresDatabase) {}

  async run<T>(key: SessionKey, work: () => Promise<T>): Promise<T> {
    const name = lockName(key);
    return this.local.run(name, async () => {
      const client = await this.connection();
      await this.lock(client, name);
      try {
        return await work();
      } finally {
        await client.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [name]).catch(() => undefined);
      }
    });
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) await (await client.catch(() => undefined))?.end().catch(() => undefined);
  }

  private async lock(client: pg.Client, name: string): Promise<void> {
    let wait = FIRST_RETRY_MS;
    for (;;) {
      const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked", [name]);
      if (rows[0]?.locked === true) return;
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(MAX_RETRY_MS, wait * 2);
    }
  }

  private connection(): Promise<pg.Client> {
    if (this.client === undefined) {
      const connecting = this.database.dedicatedClient();
      this.client = connecting;
      connecting.then(
        (client) =>
          // A dropped connection has lost its locks anyway: the next run reconnects.
          client.on("end", () => {
            if (this.client === connecting) this.client = undefined;
          }),
        () => {
          if (this.client === connecting) this.client = undefined;
        },
      );
    }
    return this.client;
  }
}

function lockName(key: SessionKey): string {
  const { scope, sessionId } = key;
  return `omnimem:session:${scope.appId}/${scope.projectId}/${scope.ownerType}/${scope.ownerId}|${sessionId}`;
}

import type { CachedParse, ParseCache } from "../../spec/parse-cache.js";
import type { PostgresDatabase } from "./pg-database.js";

/** The parse cache in a table every server shares: a file one server parsed, no server parses again. */
export class PostgresParseCache implements ParseCache {
  constructor(private readonly database: PostgresDatabase) {}

  async get(key: string): Promise<CachedParse | undefined> {
    const { rows } = await this.database.query<CachedParse>("SELECT parser, text FROM parse_cache WHERE cache_key = $1", [key]);
    return rows[0];
  }

  async put(key: string, parser: string, text: string): Promise<void> {
    await this.database.query(
      `INSERT INTO parse_cache (cache_key, parser, text, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (cache_key) DO UPDATE SET parser = excluded.parser, text = excluded.text, created_at = excluded.created_at`,
      [key, parser, text, Date.now()],
    );
  }
}

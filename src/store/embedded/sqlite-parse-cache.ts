import type { CachedParse, ParseCache } from "../../spec/parse-cache.js";
import type { StateDb } from "./state-db.js";

/** Parsed text by (sha256 of the bytes, who parsed it) in the embedded store's SQLite file: the same file sent twice is parsed once. */
export class SqliteParseCache implements ParseCache {
  constructor(private readonly state: () => StateDb) {}

  async get(key: string): Promise<CachedParse | undefined> {
    return this.state().statement("SELECT parser, text FROM parse_cache WHERE cache_key = ?").get(key) as CachedParse | undefined;
  }

  async put(key: string, parser: string, text: string): Promise<void> {
    this.state()
      .statement("INSERT OR REPLACE INTO parse_cache (cache_key, parser, text, created_at) VALUES (?, ?, ?, ?)")
      .run(key, parser, text, Date.now());
  }
}

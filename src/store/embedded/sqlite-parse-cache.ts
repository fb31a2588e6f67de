import type { StateDb } from "../store/embedded/state-db.js";

export interface CachedParse {
  parser: string;
  text: string;
}

/** Parsed text by (sha256 of the bytes, who parsed it): the same file sent twice is parsed once. */
export class ParseCache {
  constructor(private readonly state: () => StateDb) {}

  get(key: string): CachedParse | undefined {
    return this.state().statement("SELECT parser, text FROM parse_cache WHERE cache_key = ?").get(key) as CachedParse | undefined;
  }

  put(key: string, parser: string, text: string): void {
    this.state()
      .statement("INSERT OR REPLACE INTO parse_cache (cache_key, parser, text, created_at) VALUES (?, ?, ?, ?)")
      .run(key, parser, text, Date.now());
  }
}

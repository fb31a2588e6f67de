/** Text a parser made of some bytes, and which parser made it. */
export interface CachedParse {
  parser: string;
  text: string;
}

/**
 * Parsed text by (sha256 of the bytes, who parsed them): the same file sent twice is parsed
 * once, by any server sharing the backend.
 */
export interface ParseCache {
  get(key: string): Promise<CachedParse | undefined>;
  put(key: string, parser: string, text: string): Promise<void>;
}

/**
 * Embeddings kept on disk across benchmark runs, so a rerun against an embedding endpoint asks
 * it only for texts it has not seen. One file per model and dimension under the cache folder
 * (bench/.data/embeddings by default, gitignored): records of a text's sha256 (32 bytes) and its
 * vector (dimension × float32), appended as new texts are embedded. A vector depends only on
 * (model, dimension, text), which is what the key holds.
 */
import { createHash } from "node:crypto";
import { appendFile, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Embedder } from "../../src/spec/embedder.js";

const HASH_BYTES = 32;

export class CachingEmbedder implements Embedder {
  private readonly vectors = new Map<string, Float32Array>();
  private file: string | undefined;
  hits = 0;
  misses = 0;

  constructor(
    private readonly inner: Embedder,
    private readonly directory: string,
  ) {}

  get model(): string {
    return this.inner.model;
  }

  get dimensions(): number {
    return this.inner.dimensions;
  }

  async ready(): Promise<void> {
    await this.inner.ready();
    await mkdir(this.directory, { recursive: true });
    this.file = join(this.directory, `${this.inner.model.replace(/[^A-Za-z0-9._-]+/g, "_")}-${this.inner.dimensions}.f32`);
    const bytes = await readFile(this.file).catch(() => Buffer.alloc(0));
    const record = HASH_BYTES + 4 * this.inner.dimensions;
    // A run cut off mid-append leaves a partial record at the end: it is ignored.
    for (let offset = 0; offset + record <= bytes.length; offset += record) {
      const key = bytes.subarray(offset, offset + HASH_BYTES).toString("hex");
      const vector = new Float32Array(this.inner.dimensions);
      Buffer.from(vector.buffer).set(bytes.subarray(offset + HASH_BYTES, offset + record));
      this.vectors.set(key, vector);
    }
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    if (this.file === undefined) await this.ready();
    const keys = texts.map((text) => createHash("sha256").update(text).digest("hex"));
    const missing = [...new Set(keys.filter((key) => !this.vectors.has(key)))];
    this.misses += missing.length;
    this.hits += keys.length - missing.length;
    if (missing.length > 0) {
      const textOf = new Map(keys.map((key, i) => [key, texts[i]!]));
      const fresh = await this.inner.embed(missing.map((key) => textOf.get(key)!));
      const chunks: Buffer[] = [];
      missing.forEach((key, i) => {
        this.vectors.set(key, fresh[i]!);
        chunks.push(Buffer.from(key, "hex"), Buffer.from(fresh[i]!.buffer, fresh[i]!.byteOffset, fresh[i]!.byteLength));
      });
      await appendFile(this.file!, Buffer.concat(chunks));
    }
    return keys.map((key) => this.vectors.get(key)!);
  }
}

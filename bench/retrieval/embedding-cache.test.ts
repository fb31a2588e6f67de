import { describe, expect, it } from "vitest";
import { makeTempRoot, removeTempRoot } from "../../test/support/temp-root.js";
import type { Embedder } from "../../src/spec/embedder.js";
import { CachingEmbedder } from "./embedding-cache.js";

class CountingEmbedder implements Embedder {
  readonly model = "counting/model";
  readonly dimensions = 3;
  calls: string[] = [];
  async ready(): Promise<void> {}
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    this.calls.push(...texts);
    return texts.map((text) => Float32Array.from([text.length, 1, -0.5]));
  }
}

describe("CachingEmbedder", () => {
  it("asks the inner embedder once per text, across instances (runs)", async () => {
    const directory = await makeTempRoot();
    try {
      const first = new CountingEmbedder();
      const cached = new CachingEmbedder(first, directory);
      await cached.ready();
      expect((await cached.embed(["a", "bb", "a"])).map((v) => Array.from(v))).toEqual([[1, 1, -0.5], [2, 1, -0.5], [1, 1, -0.5]]);
      expect(first.calls).toEqual(["a", "bb"]);

      const second = new CountingEmbedder();
      const rerun = new CachingEmbedder(second, directory);
      await rerun.ready();
      expect((await rerun.embed(["bb", "ccc"])).map((v) => Array.from(v))).toEqual([[2, 1, -0.5], [3, 1, -0.5]]);
      expect(second.calls).toEqual(["ccc"]);
      expect({ hits: rerun.hits, misses: rerun.misses, model: rerun.model, dimensions: rerun.dimensions }).toEqual({ hits: 1, misses: 1, model: "counting/model", dimensions: 3 });
    } finally {
      await removeTempRoot(directory);
    }
  });
});

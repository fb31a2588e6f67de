import { describe, expect, it } from "vitest";
import { LocalEmbedder } from "./local-embedder.js";

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, value, i) => sum + value * b[i]!, 0);

describe("LocalEmbedder", () => {
  const embedder = new LocalEmbedder({ dimensions: 256 });

  it("is deterministic and L2-normalised", async () => {
    const [a, b] = await embedder.embed(["Alice moved to Berlin in May", "Alice moved to Berlin in May"]);
    expect(Array.from(a!)).toEqual(Array.from(b!));
    expect(cosine(a!, a!)).toBeCloseTo(1, 5);
    expect(a!.length).toBe(256);
  });

  it("ranks lexical neighbours above unrelated text, across inflection and accents", async () => {
    const [query, near, far] = await embedder.embed([
      "whiteboard from the planning session",
      "Photo of the whiteboards after our sprint planning sessions",
      "I had curry for dinner with Bob",
    ]);
    expect(cosine(query!, near!)).toBeGreaterThan(0.3);
    expect(cosine(query!, near!)).toBeGreaterThan(cosine(query!, far!) + 0.2);
    const [cafe, cafeAccent] = await embedder.embed(["cafe", "café"]);
    expect(cosine(cafe!, cafeAccent!)).toBeCloseTo(1, 5);
  });

  it("gives the zero vector for text without content words", async () => {
    const [empty] = await embedder.embed(["the and of"]);
    expect(Array.from(empty!).every((value) => value === 0)).toBe(true);
  });

  it("rejects a nonsensical dimension", () => {
    expect(() => new LocalEmbedder({ dimensions: 3 })).toThrow(RangeError);
  });
});

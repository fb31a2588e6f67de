import { describe, expect, it } from "vitest";
import { WordIndex } from "./word-index.js";

describe("WordIndex", () => {
  it("finds each word's row, and nothing for a word it does not hold", () => {
    const words = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}`);
    words.push("café", "naïve", "日本");
    const index = WordIndex.build(words);
    expect(index.size).toBe(words.length);
    words.forEach((word, row) => expect(index.rowOf(word)).toBe(row));
    expect(index.rowOf("wzzzzz")).toBeUndefined();
    expect(index.rowOf("")).toBeUndefined();
    // A prefix or an extension of a held word is another word.
    expect(index.rowOf("caf")).toBeUndefined();
    expect(index.rowOf("cafés")).toBeUndefined();
    expect(index.wordAt(words.length - 1)).toBe("日本");
  });

  it("keeps the first row of a repeated word and works from its arrays alone (as read from a file)", () => {
    const built = WordIndex.build(["dog", "cat", "dog"]);
    expect(built.rowOf("dog")).toBe(0);
    const copy = new WordIndex(built.chars.slice(), built.starts.slice(), built.slots.slice());
    expect(["cat", "dog", "cow"].map((word) => copy.rowOf(word))).toEqual([1, 0, undefined]);
  });
});

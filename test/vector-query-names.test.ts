import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Memory } from "../src/index.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

/**
 * A question that names a speaker, searched by the vector side of the default (word-vector)
 * embedder: the named person's own turn, not the other speaker's turns that address them by name
 * (the LoCoMo pattern: a turn rarely contains its own speaker's name).
 */
describe("the vector side does not match a question's names (default word-vector embedder)", () => {
  let root: string;
  let memory: Memory;

  beforeEach(async () => {
    root = await makeTempRoot();
    memory = await Memory.open({ root, logLevel: "silent" });
    const turns: [string, string][] = [
      ["Melanie", "Hey Caroline, how have you been?"],
      ["Caroline", "Busy week, but good."],
      ["Melanie", "Caroline, you always make me smile"],
      ["Caroline", "Thanks, that means a lot"],
      ["Melanie", "Good luck with everything, Caroline!"],
      ["Caroline", "I have been studying adoption agencies and the paperwork they need"],
    ];
    await memory.add(
      turns.map(([name, content]) => ({ role: "user" as const, name, content })),
      { userId: "u", sessionId: "s1", infer: false },
    );
  });

  afterEach(async () => {
    await memory.close();
    await removeTempRoot(root);
  });

  it("What did Caroline study? -> Caroline's own turn about adoption agencies, by vector alone", async () => {
    const { results } = await memory.search("What did Caroline study?", { userId: "u", method: "vector", limit: 3 });
    expect(results[0]?.memory).toBe("I have been studying adoption agencies and the paperwork they need");
  });
});

import { describe, expect, it } from "vitest";
import { vectorQueryFor, withoutNames } from "./vector-query.js";

describe("withoutNames", () => {
  it("drops capitalised words inside a sentence, with their possessive, and keeps the first word", () => {
    expect(withoutNames("What did Caroline research about Mel's kids?")).toBe("What did   research about   kids?");
    expect(withoutNames("Caroline went where?")).toBe("Caroline went where?");
  });

  it("keeps the first word of every sentence and of a quotation after a colon", () => {
    expect(withoutNames("I asked John. Where did Maria go?")).toBe("I asked  . Where did   go?");
    expect(withoutNames('She said: "Dogs are great" to Tom')).toBe('She said: "Dogs are great" to  ');
  });

  it("leaves a query with no capitalised word, and one made only of names, as it is", () => {
    expect(withoutNames("what pets do I have")).toBe("what pets do   have");
    expect(withoutNames("what do you know about cats")).toBe("what do you know about cats");
    expect(withoutNames("Caroline Smith")).toBe("Caroline  ");
    expect(withoutNames("- Tom Jones")).toBe("- Tom Jones");
    expect(withoutNames("")).toBe("");
  });
});

describe("vectorQueryFor", () => {
  it("drops names for the word-vector embedder only", () => {
    expect(vectorQueryFor("word-vectors")("What did Caroline study?")).toBe("What did   study?");
    expect(vectorQueryFor("hashed")("What did Caroline study?")).toBe("What did Caroline study?");
    expect(vectorQueryFor(undefined)("What did Caroline study?")).toBe("What did Caroline study?");
  });
});

import { describe, expect, it } from "vitest";
import { queryTimeWindows, withinWindows } from "./query-time.js";

const NOW = Date.UTC(2023, 4, 30, 12); // Tuesday 30 May 2023, noon
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const spans = (query: string, now = NOW) => queryTimeWindows(query, now).map((window) => `${iso(window.start)}..${iso(window.end)}`);

describe("queryTimeWindows", () => {
  it("resolves relative dates against the question's time, as wide as the words pin down", () => {
    expect(spans("Where did I go yesterday?")).toEqual(["2023-05-28..2023-05-30"]);
    expect(spans("What did we talk about last Saturday?")).toEqual(["2023-05-26..2023-05-28"]);
    expect(spans("What did I buy 3 weeks ago?")).toEqual(["2023-05-05..2023-05-13"]);
    expect(spans("What did I do last week?")).toEqual(["2023-05-19..2023-05-27"]);
    // Another "now" moves the same words.
    expect(spans("Where did I go yesterday?", Date.UTC(2024, 0, 10, 9))).toEqual(["2024-01-08..2024-01-10"]);
  });

  it("reads absolute dates: a month is the whole month, a month ahead of now is last year's", () => {
    expect(spans("What did Caroline do in May 2023?")).toEqual(["2023-05-01..2023-05-31"]);
    expect(spans("What book did I read in June?")).toEqual(["2022-06-01..2022-06-30"]);
    expect(spans("What did I do on March 3?")).toEqual(["2023-03-02..2023-03-04"]);
    expect(spans("Which trips did I take in 2022?")).toEqual(["2022-01-01..2022-12-31"]);
  });

  it("leaves out what names no date of its own", () => {
    expect(spans("What happened two days before the trip?")).toEqual([]);
    expect(spans("What is my job now?")).toEqual([]);
    expect(spans("When did Melanie paint a sunrise?")).toEqual([]);
    expect(spans("I may go to the gym")).toEqual([]);
  });
});

describe("withinWindows", () => {
  it("narrows a filter to the windows, keeping the caller's filter", () => {
    const windows = [{ start: 1, end: 2 }];
    expect(withinWindows(undefined, windows)).toEqual({ OR: [{ timestamp: { gte: 1, lte: 2 } }] });
    expect(withinWindows({ role: "user" }, windows)).toEqual({ AND: [{ role: "user" }, { OR: [{ timestamp: { gte: 1, lte: 2 } }] }] });
  });
});

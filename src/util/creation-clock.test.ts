import { describe, expect, it } from "vitest";
import { creationTime } from "./creation-clock.js";

describe("creationTime", () => {
  it("never repeats, reserves a span, and stays close to the clock", () => {
    const before = Date.now();
    const times = Array.from({ length: 1000 }, () => creationTime());
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThan(times[i - 1]!);
    const span = creationTime(5);
    expect(creationTime()).toBe(span + 5);
    expect(times[0]!).toBeGreaterThanOrEqual(before);
    expect(creationTime() - Date.now()).toBeLessThan(1100);
  });
});

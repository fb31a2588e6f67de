import { afterEach, describe, expect, it } from "vitest";
import { isMetadataKey, parseIsoTime } from "./scope.js";

describe("parseIsoTime", () => {
  const zone = process.env.TZ;
  afterEach(() => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  });

  it("reads a date-time without a zone as UTC, whatever the process's time zone", () => {
    for (const tz of ["Asia/Tokyo", "America/Los_Angeles", "UTC"]) {
      process.env.TZ = tz;
      expect(parseIsoTime("2024-01-01T00:00:00"), tz).toBe(Date.UTC(2024, 0, 1));
      expect(parseIsoTime("2024-01-01 09:30"), tz).toBe(Date.UTC(2024, 0, 1, 9, 30));
      expect(parseIsoTime("2024-01-01"), tz).toBe(Date.UTC(2024, 0, 1));
      expect(parseIsoTime("2024-01-01T00:00:00+09:00"), tz).toBe(Date.UTC(2023, 11, 31, 15));
    }
    expect(parseIsoTime("not a date")).toBeNaN();
  });
});

describe("isMetadataKey", () => {
  it("takes plain keys, Object.prototype's names included, and not __proto__", () => {
    for (const key of ["topic", "a.b-c_d", "constructor", "toString"]) expect(isMetadataKey(key), key).toBe(true);
    for (const key of ["__proto__", "", "1x", "a b", "x".repeat(65)]) expect(isMetadataKey(key), key).toBe(false);
  });
});

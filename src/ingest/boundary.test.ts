import { describe, expect, it } from "vitest";
import type { BufferedTurn } from "../spec/session-buffer.js";
import { overHardLimit, startsNewEpisode } from "./boundary.js";

const rules = { gapHours: 4, hardTokenLimit: 100, hardMsgLimit: 5 };
const at = (iso: string, text = "hi"): BufferedTurn => ({ messageId: iso, role: "user", timestamp: Date.parse(iso), text });

describe("boundary rules", () => {
  it("starts a new episode on a new UTC day or after a long silence", () => {
    expect(startsNewEpisode(undefined, at("2026-05-01T10:00:00Z"), rules)).toBe(false);
    expect(startsNewEpisode(at("2026-05-01T10:00:00Z"), at("2026-05-01T13:59:00Z"), rules)).toBe(false);
    expect(startsNewEpisode(at("2026-05-01T10:00:00Z"), at("2026-05-01T14:01:00Z"), rules)).toBe(true);
    expect(startsNewEpisode(at("2026-05-01T23:59:00Z"), at("2026-05-02T00:01:00Z"), rules)).toBe(true);
  });

  it("enforces the message and token limits", () => {
    const turns = (n: number, text = "hi") => Array.from({ length: n }, (_, i) => at(`2026-05-01T10:0${i}:00Z`, text));
    expect(overHardLimit(turns(4), rules)).toBe(false);
    expect(overHardLimit(turns(5), rules)).toBe(true);
    expect(overHardLimit(turns(2, "x".repeat(200)), rules)).toBe(true);
  });
});

import { describe, expect, it } from "vitest";
import { FACT_LIFT, liftEpisodes } from "./episode-lift.js";

const episode = (id: string, score: number) => ({ score, record: { id, kind: "episode" } });
const fact = (id: string, episodeId: string, score: number) => ({ score, record: { id, kind: "fact", episodeId } });

describe("liftEpisodes", () => {
  it("keeps every score in 0..1 however many facts lift an episode", () => {
    const hits = [episode("e1", 1), ...[1, 2, 3, 4, 5].map((n) => fact(`f${n}`, "e1", 1))];
    const lifted = liftEpisodes(hits);
    expect(lifted[0]).toMatchObject({ record: { id: "e1" }, score: 1 });
    for (const hit of lifted) expect(hit.score).toBeLessThanOrEqual(1);
  });

  it("ranks as the additive lift does while the facts' sum stays under 1", () => {
    // e1 0.5 + 0.5 × 0.6 = 0.8 beats e2 at 0.7; the fact itself stays below both.
    const lifted = liftEpisodes([episode("e2", 0.7), episode("e1", 0.5), fact("f", "e1", 0.6)]);
    expect(lifted.map((hit) => hit.record.id)).toEqual(["e1", "e2", "f"]);
    expect(lifted[0]!.score).toBeCloseTo((0.5 + FACT_LIFT * 0.6) / (1 + FACT_LIFT), 12);
    expect(lifted[1]!.score).toBeCloseTo(0.7 / (1 + FACT_LIFT), 12);
  });

  it("does not lift an episode by facts of another episode", () => {
    const lifted = liftEpisodes([episode("e1", 0.6), episode("e2", 0.5), fact("f", "e3", 0.9)]);
    expect(lifted.map((hit) => hit.record.id)).toEqual(["f", "e1", "e2"]);
  });
});

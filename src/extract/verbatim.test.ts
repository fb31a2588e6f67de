import { describe, expect, it } from "vitest";
import { turnsFromVerbatim, verbatimText } from "./verbatim.js";

describe("verbatim episode text", () => {
  it("gives back the turns it was made of, multi-line texts included", () => {
    const turns = [
      { role: "user" as const, senderId: "alice", text: "Shopping list:\n- eggs\n- flour (the fine one): 1kg" },
      { role: "assistant" as const, text: "Noted (both)." },
      { role: "user" as const, senderId: "alice", text: "Thanks" },
    ];
    const back = turnsFromVerbatim(verbatimText(turns), 1_000, "ep");
    expect(back.map(({ role, senderId, text }) => ({ role, ...(senderId === undefined ? {} : { senderId }), text }))).toEqual(turns);
    expect(back.map((turn) => [turn.messageId, turn.timestamp])).toEqual([
      ["ep#0", 1_000],
      ["ep#1", 1_000],
      ["ep#2", 1_000],
    ]);
  });

  it("reads text that is not in that shape as one user turn", () => {
    expect(turnsFromVerbatim("edited by hand", 5, "x")).toEqual([{ messageId: "x#0", role: "user", timestamp: 5, text: "edited by hand" }]);
  });
});

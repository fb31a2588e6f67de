import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const PROBE = join(import.meta.dirname, "../../../test/support/malloc-probe.ts");
const isGlibc = process.platform === "linux" && typeof (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime === "string";

/** Runs the probe in a fresh process (the threshold is process-wide and set once). */
function probe(args: string[], env: NodeJS.ProcessEnv = {}): { outcome?: { applied: boolean; reason?: string }; mmapped: boolean } {
  const { MALLOC_MMAP_THRESHOLD_: _unset, ...inherited } = process.env;
  const out = execFileSync(process.execPath, ["--import", "tsx", PROBE, ...args], { env: { ...inherited, ...env }, encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").pop()!) as { outcome?: { applied: boolean; reason?: string }; mmapped: boolean };
}

describe.skipIf(!isGlibc)("fixMallocMmapThreshold (glibc)", () => {
  it("without it, a large block freed makes glibc keep later ones in its arenas", () => {
    expect(probe([]).mmapped).toBe(false);
  });

  it("with it, large blocks are mmapped (and so returned on free) whatever was freed before", () => {
    const result = probe(["--fix"]);
    expect(result.outcome).toEqual({ applied: true, bytes: 128 * 1024 });
    expect(result.mmapped).toBe(true);
  });

  it("leaves a threshold chosen in the environment alone", () => {
    const result = probe(["--fix"], { MALLOC_MMAP_THRESHOLD_: String(64 << 20) });
    expect(result.outcome).toEqual({ applied: false, reason: "set in the environment" });
    expect(result.mmapped).toBe(false);
  });
});

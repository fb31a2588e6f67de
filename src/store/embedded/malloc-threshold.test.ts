import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const PROBE = join(import.meta.dirname, "../../../test/support/malloc-probe.ts");
const isGlibc = process.platform === "linux" && typeof (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime === "string";

interface ProbeResult {
  availability: { available: boolean; reason?: string };
  before: boolean;
  during: boolean;
  after: { mib1: boolean; mib40: boolean };
}

/** Runs the probe in a fresh process (glibc's thresholds are process-wide). */
function probe(env: NodeJS.ProcessEnv = {}): ProbeResult {
  const { MALLOC_MMAP_THRESHOLD_: _mmap, MALLOC_TRIM_THRESHOLD_: _trim, GLIBC_TUNABLES: _tunables, ...inherited } = process.env;
  const out = execFileSync(process.execPath, ["--import", "tsx", PROBE], { env: { ...inherited, ...env }, encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").pop()!) as ProbeResult;
}

describe.skipIf(!isGlibc)("whileMaintaining (glibc's mmap threshold)", () => {
  it("mmaps large blocks during a maintenance only, so that what it frees goes back to the system", () => {
    const result = probe();
    expect(result.availability).toEqual({ available: true });
    // glibc's own adjustment: after a 4 MiB free, a 1 MiB block comes from its arenas.
    expect(result.before).toBe(false);
    expect(result.during).toBe(true);
    // Afterwards as glibc's adjustment would leave it: arenas below 32 MiB, mmap above.
    expect(result.after).toEqual({ mib1: false, mib40: true });
  });

  it("leaves a threshold chosen in the environment alone", () => {
    const result = probe({ MALLOC_MMAP_THRESHOLD_: String(64 << 20) });
    expect(result.availability).toEqual({ available: false, reason: "set in the environment" });
    expect(result.during).toBe(false);
    expect(result.after).toEqual({ mib1: false, mib40: false });
  });
});

import { createRequire } from "node:module";

/**
 * Fixes glibc's mmap threshold so that freed large buffers go back to the system.
 *
 * LanceDB (Rust, on the system allocator) allocates and frees buffers of megabytes on every
 * compaction and index update. glibc serves a block of 128 KiB or more with its own mmap and
 * unmaps it on free, but after each such free it raises that threshold to the freed size (up to
 * 32 MiB); later large buffers then come from its arenas, which keep the memory after the free.
 * The resident size grew with the table: in a probe (30k rows appended to a LanceDB table in
 * batches of 500, optimize every 2,000) 443 MiB with glibc's default, 252 MiB with the threshold
 * fixed at 128 KiB; `bench/speed.ts` at 100k memories, peak RSS 919 → 643 MiB. Fixing it
 * (`mallopt(M_MMAP_THRESHOLD)`, which also stops the adjustment) is what the environment
 * variable `MALLOC_MMAP_THRESHOLD_` does at start-up; this does it at run time, through koffi
 * (a C foreign-function interface whose binaries ship in its npm package) because a library
 * cannot choose its host process's environment.
 *
 * It applies to the whole process, once (the first LanceDB index opened). Where a threshold is already chosen in the
 * environment, or the C library is not glibc, nothing is changed.
 */
export const MMAP_THRESHOLD_BYTES = 128 * 1024;
/** glibc's malloc.h */
const M_MMAP_THRESHOLD = -3;

export type MallocThresholdOutcome =
  | { applied: true; bytes: number }
  | { applied: false; reason: "not glibc" | "set in the environment" | "mallopt failed" | "unavailable"; detail?: string };

let outcome: MallocThresholdOutcome | undefined;

/** Fixes the threshold on the first call; later calls return the first call's outcome. */
export function fixMallocMmapThreshold(env: NodeJS.ProcessEnv = process.env): MallocThresholdOutcome {
  outcome ??= fix(env);
  return outcome;
}

function fix(env: NodeJS.ProcessEnv): MallocThresholdOutcome {
  if (!isGlibc()) return { applied: false, reason: "not glibc" };
  if (env.MALLOC_MMAP_THRESHOLD_ !== undefined || /mmap_threshold/.test(env.GLIBC_TUNABLES ?? "")) {
    return { applied: false, reason: "set in the environment" };
  }
  try {
    const koffi = createRequire(import.meta.url)("koffi") as typeof import("koffi");
    const mallopt = koffi.load("libc.so.6").func("int mallopt(int param, int value)") as (param: number, value: number) => number;
    // mallopt returns 1 on success, 0 on error.
    if (mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) !== 1) return { applied: false, reason: "mallopt failed" };
    return { applied: true, bytes: MMAP_THRESHOLD_BYTES };
  } catch (error) {
    return { applied: false, reason: "unavailable", detail: (error as Error).message };
  }
}

function isGlibc(): boolean {
  if (process.platform !== "linux") return false;
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return typeof header?.glibcVersionRuntime === "string";
}

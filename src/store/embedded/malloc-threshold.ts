import { createRequire } from "node:module";

/**
 * Lets glibc give back the memory of LanceDB's maintenance once it is freed.
 *
 * LanceDB (Rust, on the system allocator) allocates and frees buffers of megabytes when it
 * compacts the table and updates its indexes. glibc serves a block of 128 KiB or more with its
 * own mmap and unmaps it on free, but after each such free it raises that threshold to the
 * freed size (up to 32 MiB, and the heap-trim threshold to twice that); later large buffers
 * then come from its arenas, which keep the memory after the free, fragmented. The resident
 * size grew with every maintenance: a probe of 30k rows appended to a LanceDB table in
 * batches of 500, optimize every 2,000, ended at 443 MiB with glibc's default and 252 MiB with
 * the threshold held at 128 KiB; in `bench/speed.ts` at 100k memories (one owner) this module
 * took peak RSS from 979 to 726 MiB (fake embedding endpoint) and 910 to 661 (local embedder).
 *
 * Held low for good, though, the same setting made every query that scans vectors unmap and
 * fault in its buffers again: a flat vector query over 12k rows took 145 ms instead of 14. So
 * the thresholds are low only while a maintenance runs (`whileMaintaining`) and otherwise where
 * glibc's own adjustment ends up (32 MiB, trim at 64 MiB), so queries reuse their buffers as
 * before. The cost is in what runs beside a maintenance: a bulk import, which keeps one running
 * most of the time, went about 10% slower (bench/reports/import.md). mallopt is reached through
 * koffi (a C foreign-function interface whose binaries ship in its npm package) because a
 * library cannot choose its host process's environment; the settings are process-wide. Where the
 * environment already chooses (`MALLOC_MMAP_THRESHOLD_`, `MALLOC_TRIM_THRESHOLD_`,
 * `GLIBC_TUNABLES`), or the C library is not glibc, nothing is changed.
 */
const LOW_THRESHOLD_BYTES = 128 * 1024;
/** glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit: where its dynamic threshold stops rising. */
const HIGH_MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024;
const HIGH_TRIM_THRESHOLD_BYTES = 2 * HIGH_MMAP_THRESHOLD_BYTES;
/** glibc's malloc.h */
const M_TRIM_THRESHOLD = -1;
const M_MMAP_THRESHOLD = -3;

type Mallopt = (param: number, value: number) => number;

export type MalloptAvailability = { available: true } | { available: false; reason: "not glibc" | "set in the environment" | "unavailable"; detail?: string };

let mallopt: Mallopt | undefined;
let availability: MalloptAvailability | undefined;
/** Maintenances running now, in every index of the process. */
let maintaining = 0;

/** Whether the thresholds can be set here (decided once per process, at its first maintenance). */
export function malloptAvailability(): MalloptAvailability {
  availability ??= load();
  return availability;
}

/**
 * Runs `work` (a maintenance) with glibc's thresholds low, so that what it frees goes back to
 * the system; they go back up when the last concurrent maintenance of the process ends.
 */
export async function whileMaintaining<T>(work: () => Promise<T>): Promise<T> {
  if (!malloptAvailability().available) return work();
  if (maintaining++ === 0) setThresholds(LOW_THRESHOLD_BYTES, LOW_THRESHOLD_BYTES);
  try {
    return await work();
  } finally {
    if (--maintaining === 0) setThresholds(HIGH_MMAP_THRESHOLD_BYTES, HIGH_TRIM_THRESHOLD_BYTES);
  }
}

function setThresholds(mmapBytes: number, trimBytes: number): void {
  // mallopt returns 1 on success; a refusal leaves glibc as it was, which is still correct.
  mallopt!(M_MMAP_THRESHOLD, mmapBytes);
  mallopt!(M_TRIM_THRESHOLD, trimBytes);
}

function load(): MalloptAvailability {
  const env = process.env;
  if (process.platform !== "linux") return { available: false, reason: "not glibc" };
  if (env.MALLOC_MMAP_THRESHOLD_ !== undefined || env.MALLOC_TRIM_THRESHOLD_ !== undefined || /mmap_threshold|trim_threshold/.test(env.GLIBC_TUNABLES ?? "")) {
    return { available: false, reason: "set in the environment" };
  }
  let koffi: typeof import("koffi");
  try {
    koffi = createRequire(import.meta.url)("koffi") as typeof import("koffi");
  } catch (error) {
    return { available: false, reason: "unavailable", detail: (error as Error).message };
  }
  try {
    // Only glibc is libc.so.6 with gnu_get_libc_version (musl's libc has neither): a missing
    // library or symbol throws here.
    const libc = koffi.load("libc.so.6");
    libc.func("const char *gnu_get_libc_version()");
    mallopt = libc.func("int mallopt(int param, int value)") as Mallopt;
    return { available: true };
  } catch (error) {
    return { available: false, reason: "not glibc", detail: (error as Error).message };
  }
}

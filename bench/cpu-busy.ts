import { cpus } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * The share of all CPU time that was not idle over the next `ms` milliseconds (0..1), from the
 * kernel's per-CPU counters. What a report should ask before calling a machine busy: the load
 * average counts runnable and waiting tasks over minutes, so it still reflects the work of the
 * minute before, and on the 2-core machines here it reads 1.5–2 with the CPUs idle.
 */
export async function cpuBusyShare(ms = 1000): Promise<number> {
  const before = cpuTimes();
  await sleep(ms);
  const after = cpuTimes();
  const all = after.all - before.all;
  return all > 0 ? (after.busy - before.busy) / all : 0;
}

/** Milliseconds every CPU has spent since boot: in all, and not idle. */
function cpuTimes(): { busy: number; all: number } {
  let busy = 0;
  let all = 0;
  for (const { times } of cpus()) {
    busy += times.user + times.nice + times.sys + times.irq;
    all += times.user + times.nice + times.sys + times.irq + times.idle;
  }
  return { busy, all };
}

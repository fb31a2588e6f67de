/**
 * Child of malloc-threshold.test.ts: says whether glibc serves a 1 MiB block with its own mmap
 * after a 4 MiB block was freed (which raises glibc's dynamic threshold above 1 MiB), with or
 * without fixMallocMmapThreshold() first. Prints one JSON line.
 */
import koffi from "koffi";
import { fixMallocMmapThreshold } from "../../src/store/embedded/malloc-threshold.js";

const libc = koffi.load("libc.so.6");
const malloc = libc.func("void *malloc(size_t size)") as (size: number) => unknown;
const free = libc.func("void free(void *ptr)") as (ptr: unknown) => void;
const MallInfo2 = koffi.struct("mallinfo2", {
  arena: "size_t",
  ordblks: "size_t",
  smblks: "size_t",
  hblks: "size_t",
  hblkhd: "size_t",
  usmblks: "size_t",
  fsmblks: "size_t",
  uordblks: "size_t",
  fordblks: "size_t",
  keepcost: "size_t",
});
const mallinfo2 = libc.func("mallinfo2", MallInfo2, []) as () => { hblks: number };

const outcome = process.argv.includes("--fix") ? fixMallocMmapThreshold() : undefined;
free(malloc(4 << 20));
const before = mallinfo2().hblks;
const block = malloc(1 << 20);
const mmapped = mallinfo2().hblks - before === 1;
free(block);
console.log(JSON.stringify({ outcome, mmapped }));

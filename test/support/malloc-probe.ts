/**
 * Child of malloc-threshold.test.ts: says whether glibc serves a block with its own mmap (so
 * that freeing it returns the memory) before, during and after `whileMaintaining`, each time
 * after a 4 MiB block was freed (which raises glibc's dynamic threshold above 1 MiB). Prints
 * one JSON line.
 */
import koffi from "koffi";
import { malloptAvailability, whileMaintaining } from "../../src/store/embedded/malloc-threshold.js";

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

/** Whether a block of `bytes` is mmapped, after a 4 MiB block was freed. */
function mmapped(bytes: number): boolean {
  free(malloc(4 << 20));
  const before = mallinfo2().hblks;
  const block = malloc(bytes);
  const counted = mallinfo2().hblks - before === 1;
  free(block);
  return counted;
}

const before = mmapped(1 << 20);
// Larger than the space the 1 MiB block left free: glibc reuses free space before it asks the
// system for more, and only then does the threshold decide between the heap and an mmap.
const during = await whileMaintaining(() => Promise.resolve(mmapped(2 << 20)));
const after = { mib1: mmapped(1 << 20), mib40: mmapped(40 << 20) };
console.log(JSON.stringify({ availability: malloptAvailability(), before, during, after }));

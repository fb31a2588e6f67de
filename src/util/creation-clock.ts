/**
 * Creation times that never repeat within a process. Lists sort newest first by creation time,
 * and memories made in the same millisecond (adds in a quick loop, the facts of one extraction)
 * fell back to the order of their random ids: a list read "item 5, 6, 4". `span` reserves that
 * many consecutive milliseconds (an add of n turns takes n), so the next call starts after them.
 * The times stay within a few milliseconds of the clock: a burst of writes borrows from the
 * milliseconds ahead, which the clock then catches up with.
 */
let last = 0;

export function creationTime(span = 1): number {
  const at = Math.max(Date.now(), last + 1);
  last = at + Math.max(1, span) - 1;
  return at;
}

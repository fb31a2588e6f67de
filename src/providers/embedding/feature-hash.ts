/** FNV-1a over UTF-16 code units: a fast, stable hash for the hashing trick (same on every machine). */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Adds `weight` to one slot of `vector[offset, offset + size)` chosen by the feature's hash. The
 * sign comes from the high bit and the slot from the rest, so collisions cancel on average.
 */
export function addHashedFeature(vector: Float32Array, feature: string, weight: number, offset = 0, size = vector.length - offset): void {
  const hash = fnv1a(feature);
  const slot = offset + ((hash & 0x7fffffff) % size);
  vector[slot]! += hash & 0x80000000 ? -weight : weight;
}

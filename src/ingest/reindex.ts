import type { Backend } from "../spec/backend.js";
import type { Embedder } from "../spec/embedder.js";
import type { ReindexProgress } from "./call-options.js";

/** What the model name of an index being rebuilt says until the rebuild is done. */
const UNFINISHED = "[reindex not finished: run omnimem reindex]";

/**
 * Rebuilds the store's catalog from its truth and the search index from the catalog, with
 * `embedder`: the way out of an index built with another embedder, a deleted index, or markdown
 * edited by hand.
 */
export async function rebuildIndex(backend: Backend, embedder: Embedder, onProgress?: (progress: ReindexProgress) => void): Promise<{ records: number }> {
  const { store, index } = backend;
  const identity = { model: embedder.model, dimensions: embedder.dimensions };
  const { records: total } = await store.rebuildCatalog();
  // Rebuilt under a provisional name, renamed once every memory is in: an index a killed
  // reindex left half-filled is then refused at the next open (INDEX_MISMATCH, run reindex).
  await index.reset(index.relabel === undefined ? identity : { ...identity, model: `${identity.model} ${UNFINISHED}` });
  let done = 0;
  onProgress?.({ done, total });
  for await (const batch of store.scan(256)) {
    const vectors = await embedder.embed(batch.map((record) => record.text));
    await index.insert(batch.map((record, i) => ({ record, vector: vectors[i]! })));
    done += batch.length;
    onProgress?.({ done, total });
  }
  await index.relabel?.(identity);
  await index.maintain();
  return { records: total };
}

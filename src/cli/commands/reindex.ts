import type { Memory } from "../../memory.js";
import { ValidationError } from "../../spec/errors.js";
import { emit, type Output } from "../output.js";
import { progressReporter } from "../progress.js";

/**
 * Rebuilds the catalog and the index from the markdown files, with a bar on a terminal. With
 * `--embedder NAME` (already applied to the memory's config) the root moves to that local
 * embedder: every memory is embedded again and the index records the new one.
 */
export async function reindexCommand(memory: Memory, output: Output, embedder?: string): Promise<number> {
  if (embedder !== undefined && memory.embedderInfo.name !== embedder) {
    // An endpoint in [embedding] wins over a local embedder: the flag would be silently ignored.
    throw new ValidationError(
      `--embedder ${embedder} names a local embedder, but this memory embeds with ${memory.embedderInfo.model} (the [embedding] endpoint); remove [embedding] to use a local one`,
      { details: { path: "embedder" } },
    );
  }
  const progress = progressReporter({ enabled: !output.json && process.stderr.isTTY === true });
  const started = performance.now();
  let reported: number | undefined;
  try {
    const result = await memory.reindex(({ done, total }) => {
      if (reported === undefined) progress.start(total, "reindex");
      progress.tick(done - (reported ?? 0));
      reported = done;
    });
    progress.stop();
    const seconds = Number(((performance.now() - started) / 1000).toFixed(2));
    const used = memory.embedderInfo.name;
    emit(output, { ...result, seconds, embedder: used }, () => `reindexed ${result.records} memories from markdown in ${seconds} s (embedder: ${used})`);
    return 0;
  } finally {
    progress.stop();
  }
}

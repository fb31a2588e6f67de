/**
 * Run as a child process by the crash-recovery test: adds one memory with an index that never
 * finishes its write, announces the index write and the add's return (the index is written
 * behind the add, so the add is acknowledged while the index write hangs), and waits to be
 * killed with SIGKILL.
 */
import { Memory } from "../../src/index.js";
import { LanceIndex } from "../../src/store/embedded/lance-index.js";
import type { IndexDocument } from "../../src/spec/search-index.js";
import { join } from "node:path";

class IndexThatHangsOnInsert extends LanceIndex {
  override async insert(documents: readonly IndexDocument[]): Promise<void> {
    process.stdout.write(`BEFORE_INDEX_WRITE ${documents.map((doc) => doc.record.id).join(",")}\n`);
    // A timer keeps the process alive until the SIGKILL: a bare never-settling promise lets Node
    // exit on its own (code 13, unsettled top-level await), racing the parent's kill.
    await new Promise(() => setInterval(() => undefined, 60_000));
  }
}

const root = process.argv[2]!;
const memory = await Memory.open({
  root,
  logLevel: "silent",
  index: new IndexThatHangsOnInsert({ directory: join(root, ".index", "lance") }),
});
const added = await memory.add([{ role: "user", content: "The spare key is taped under the third flowerpot" }], { userId: "alice", infer: false });
process.stdout.write(`ADD_RETURNED ${added.results.map((event) => event.id).join(",")}\n`);
// Kept alive until the SIGKILL (the hanging index write holds a timer too).
setInterval(() => undefined, 60_000);

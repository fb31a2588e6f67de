import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh data root under the OS temp folder, and its removal. */
export async function makeTempRoot(prefix = "omnimem-test-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeTempRoot(root: string): Promise<void> {
  await rm(root, { recursive: true, force: true });
}

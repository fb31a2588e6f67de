import { createHash } from "node:crypto";

/** Hex sha256 of a text: content hashes of memories and deterministic ids. */
export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export function sha256Bytes(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

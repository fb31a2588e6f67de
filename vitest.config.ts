import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts", "bench/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The default (word-vector) embedder prepares its cache once per machine: do it before the tests.
    globalSetup: ["test/support/prepare-word-vectors.ts"],
    // Native addons (better-sqlite3, LanceDB) are safest in forked processes.
    pool: "forks",
  },
});

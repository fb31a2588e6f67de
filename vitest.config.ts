import { availableParallelism } from "node:os";
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
    // As many test files at a time as cores, two at least (Vitest's default is cores - 1, one
    // on a 2-core machine). Much of the suite waits on child processes (LibreOffice, Chromium,
    // the CLI), so the wall time fell from 437 s to 292 s on 2 cores; tests that wait on a
    // background thread or a child process give it generous limits for that reason.
    maxWorkers: Math.max(2, availableParallelism()),
  },
});

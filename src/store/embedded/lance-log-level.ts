// LanceDB's native logger reads LANCEDB_LOG once, when the addon loads: this module is imported
// before it. Its warnings (a new dataset, scanner deprecations) are noise on a user's stderr.
process.env.LANCEDB_LOG ??= "error";
export {};

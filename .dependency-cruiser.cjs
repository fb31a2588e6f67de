/**
 * Dependency rules CI enforces (`npm run depcheck`): dependencies flow one way (spec <-
 * implementations <- wiring), so no folder may depend on itself through another, and the shared
 * contracts in src/spec/ depend on nothing else of omnimem.
 */
module.exports = {
  forbidden: [
    {
      name: "no-folder-cycles",
      comment: "A folder that reaches itself through other folders: move the shared piece down (usually into src/spec/).",
      severity: "error",
      scope: "folder",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "spec-imports-only-spec",
      comment: "src/spec/ holds the contracts every implementation shares; it imports nothing outside itself.",
      severity: "error",
      from: { path: "^src/spec/" },
      to: { path: "^src/", pathNot: "^src/spec/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // Tests and suites wire implementations together on purpose; the rule is about the library.
    exclude: { path: "(\\.test\\.ts$|\\.suite\\.ts$|^src/ui/)" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};

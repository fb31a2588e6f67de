/**
 * Builds the web memory browser (src/ui) into dist/ui, which `omnimem serve` serves at /ui.
 * Everything is bundled: the page loads nothing from outside its own server.
 */
import { URL, fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/ui/",
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL("../../dist/ui", import.meta.url)),
    emptyOutDir: true,
    // One small bundle: no preload polyfill that could fetch anything else.
    modulePreload: false,
    sourcemap: false,
  },
  logLevel: "warn",
});

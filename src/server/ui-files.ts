/**
 * The web memory browser's built files (dist/ui, made by `npm run build` from src/ui), served at
 * /ui. Only files inside that folder are served, with their content type; the page may talk only
 * to this server (a Content-Security-Policy says so to the browser too).
 */
import { readFile, realpath } from "node:fs/promises";
import { extname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".woff2": "font/woff2",
};

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/**
 * Where the built page is: beside the compiled server (dist/server -> dist/ui), or, when the server
 * runs from its TypeScript sources, in the repository's dist/ui.
 */
export function defaultUiDirectory(): string {
  const fromSources = import.meta.url.endsWith(".ts");
  return fileURLToPath(new URL(fromSources ? "../../dist/ui/" : "../ui/", import.meta.url));
}

interface UiFile {
  status: 200 | 404 | 503;
  body: Uint8Array<ArrayBuffer> | string;
  headers: Record<string, string>;
}

/** The answer for a path under /ui ("" or "/" is the page itself); never a file outside `directory`. */
export async function uiResponse(directory: string, subpath: string): Promise<Response> {
  const file = await uiFile(directory, subpath);
  return new Response(file.body, { status: file.status, headers: file.headers });
}

async function uiFile(directory: string, subpath: string): Promise<UiFile> {
  const relative = subpath.replace(/^\/+/, "");
  const name = relative === "" ? "index.html" : relative;
  const textHeaders = { "content-type": "text/plain; charset=utf-8", ...SECURITY_HEADERS };
  let root: string;
  try {
    root = await realpath(directory);
    await readFile(join(root, "index.html"));
  } catch {
    return {
      status: 503,
      body: "The web memory browser is not built: run `npm run build` in the omnimem package (it writes dist/ui), then restart `omnimem serve`.\n",
      headers: textHeaders,
    };
  }
  const type = CONTENT_TYPES[extname(name).toLowerCase()];
  // Decoded segments only of plain names: no "..", no backslashes, no hidden files.
  const segments = name.split("/");
  const plain = segments.every((segment) => /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(segment) && segment !== "..");
  if (type === undefined || !plain) return { status: 404, body: "not found\n", headers: textHeaders };
  try {
    const path = await realpath(join(root, ...segments));
    if (!path.startsWith(root + sep)) return { status: 404, body: "not found\n", headers: textHeaders };
    const body = new Uint8Array(await readFile(path));
    // Bundles are named by their content hash: they never change; the page itself may.
    const cache = name.startsWith("assets/") ? "public, max-age=31536000, immutable" : "no-cache";
    return { status: 200, body, headers: { "content-type": type, "cache-control": cache, ...SECURITY_HEADERS } };
  } catch {
    return { status: 404, body: "not found\n", headers: textHeaders };
  }
}

/**
 * EPUB books (a `doc`): the OCF container says where the OPF package is
 * (META-INF/container.xml → rootfile), the package's spine says the reading order, and each
 * spine item is an XHTML chapter turned into markdown by the shared HTML reader. The zip is
 * opened behind the same expansion guard as the office packages, and each chapter is held to
 * the HTML size limit.
 */
import path from "node:path";

import { FileSizeError, UnsupportedFormatError } from "../../spec/errors.js";
import type { ParseContext, ParseInput, ParseOutput, Parser } from "../../spec/parser.js";
import { decodeHtmlBytes, htmlToMarkdown } from "../html/html-to-markdown.js";
import { decodeXmlEntities, openZipPackage, readZipBytes, tidyText, verifyZipExpansion, xmlAttribute } from "../office/zip-package.js";

export const EPUB_FORMATS = ["epub"] as const;

const CHAPTER_MEDIA_TYPES = new Set(["application/xhtml+xml", "text/html"]);

interface ManifestItem {
  href: string;
  mediaType: string;
  properties: string;
}

export class EpubParser implements Parser {
  readonly name = "epub";
  readonly formats: readonly string[] = EPUB_FORMATS;

  async parse(input: ParseInput, context: ParseContext): Promise<ParseOutput> {
    return { text: await extractEpubMarkdown(input.bytes, context.limits.maxHtmlBytes), parser: "epub/markdown" };
  }
}

/** The book as markdown: its title, then every linear spine chapter in reading order. */
export async function extractEpubMarkdown(bytes: Uint8Array, maxChapterBytes: number): Promise<string> {
  await verifyZipExpansion(bytes, "epub");
  const zip = await openZipPackage(bytes, "epub");
  const readBytes = async (entryPath: string): Promise<Uint8Array | undefined> => {
    const content = await readZipBytes(zip, entryPath);
    if (content === undefined) return undefined;
    if (content.length > maxChapterBytes) {
      throw new FileSizeError(`The epub entry ${entryPath} is ${content.length} bytes, over the ${maxChapterBytes}-byte limit`, {
        details: { entry: entryPath, bytes: content.length, maxHtmlBytes: maxChapterBytes },
      });
    }
    return content;
  };
  const readText = async (entryPath: string): Promise<string | undefined> => {
    const content = await readBytes(entryPath);
    return content === undefined ? undefined : new TextDecoder("utf-8").decode(content);
  };

  const container = await readText("META-INF/container.xml");
  const packagePath = container === undefined ? undefined : firstRootfile(container);
  if (packagePath === undefined) {
    throw new UnsupportedFormatError("The epub has no META-INF/container.xml naming its package document: not a readable EPUB", {
      details: { format: "epub", reason: "no-container" },
    });
  }
  const opf = await readText(packagePath);
  if (opf === undefined) {
    throw new UnsupportedFormatError(`The epub's package document ${packagePath} is missing: not a readable EPUB`, {
      details: { format: "epub", reason: "no-package" },
    });
  }

  const baseDirectory = path.posix.dirname(packagePath);
  const manifest = readManifest(opf);
  const chapters: string[] = [];
  for (const idref of linearSpine(opf)) {
    const item = manifest.get(idref);
    if (item === undefined || !CHAPTER_MEDIA_TYPES.has(item.mediaType)) continue;
    // The EPUB 3 navigation document repeats the chapter titles as a list of links.
    if (item.properties.split(/\s+/).includes("nav")) continue;
    const entryPath = resolveHref(baseDirectory, item.href);
    if (entryPath === undefined) continue;
    const content = await readBytes(entryPath);
    if (content === undefined) continue;
    const markdown = htmlToMarkdown(decodeHtmlBytes(content)).markdown.trim();
    if (markdown.length > 0) chapters.push(markdown);
  }

  const title = bookTitle(opf);
  const body = chapters.join("\n\n");
  const firstLine = body.split("\n", 1)[0]?.replace(/^#+\s*/, "").trim();
  const text = title === undefined || firstLine === title ? body : `# ${title}${body.length > 0 ? `\n\n${body}` : ""}`;
  return tidyText(text);
}

/** Tags may carry a namespace prefix (`<opf:item>`), so names are matched with an optional one. */
function elements(xml: string, localName: string): string[] {
  return [...xml.matchAll(new RegExp(`<(?:[\\w.-]+:)?${localName}\\b([^>]*?)\\/?>`, "g"))].map((match) => match[1] ?? "");
}

function firstRootfile(container: string): string | undefined {
  for (const attributes of elements(container, "rootfile")) {
    const fullPath = xmlAttribute(attributes, "full-path");
    const mediaType = xmlAttribute(attributes, "media-type");
    if (fullPath !== undefined && (mediaType === undefined || mediaType === "application/oebps-package+xml")) {
      return resolveHref("", fullPath);
    }
  }
  return undefined;
}

function readManifest(opf: string): Map<string, ManifestItem> {
  const manifest = new Map<string, ManifestItem>();
  for (const attributes of elements(opf, "item")) {
    const id = xmlAttribute(attributes, "id");
    const href = xmlAttribute(attributes, "href");
    if (id === undefined || href === undefined) continue;
    manifest.set(id, {
      href,
      mediaType: (xmlAttribute(attributes, "media-type") ?? "").toLowerCase(),
      properties: xmlAttribute(attributes, "properties") ?? "",
    });
  }
  return manifest;
}

/** The spine's idrefs in order, without the items marked `linear="no"` (covers, pop-up notes). */
function linearSpine(opf: string): string[] {
  const spine = /<(?:[\w.-]+:)?spine\b[^>]*>([\s\S]*?)<\/(?:[\w.-]+:)?spine>/.exec(opf)?.[1] ?? "";
  return elements(spine, "itemref")
    .filter((attributes) => xmlAttribute(attributes, "linear") !== "no")
    .map((attributes) => xmlAttribute(attributes, "idref"))
    .filter((idref): idref is string => idref !== undefined);
}

function bookTitle(opf: string): string | undefined {
  const match = /<dc:title\b[^>]*>([\s\S]*?)<\/dc:title>/.exec(opf);
  const title = match === null ? undefined : decodeXmlEntities(match[1] ?? "").replace(/\s+/g, " ").trim();
  return title === undefined || title.length === 0 ? undefined : title;
}

/** A manifest href (percent-encoded, relative to the package) → the zip entry's path; undefined when it leaves the book. */
function resolveHref(baseDirectory: string, href: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(href.split("#", 1)[0] ?? "");
  } catch {
    return undefined;
  }
  if (decoded.length === 0 || /^[a-z][a-z0-9+.-]*:/i.test(decoded)) return undefined;
  const joined = decoded.startsWith("/") ? decoded.slice(1) : path.posix.join(baseDirectory, decoded);
  const normalized = path.posix.normalize(joined);
  return normalized.startsWith("../") || normalized === ".." ? undefined : normalized;
}

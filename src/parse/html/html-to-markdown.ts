/**
 * HTML to markdown: the page is parsed with linkedom, stripped of everything that is not
 * content (scripts, styles, noscript, iframes and embeds, navigation, page headers and footers,
 * asides, forms and their controls, hidden elements), then turned into markdown by turndown
 * (headings, lists, emphasis, code, links, data tables as pipe tables). Shared by the html
 * parser and the email parsers (HTML bodies).
 */
import { createRequire } from "node:module";
import type TurndownService from "turndown";

// linkedom (over a hundred modules) is required on the first page converted, not imported at
// startup: every CLI call loads the parsers, few convert HTML. Its CommonJS build loads synchronously.
const requireModule = createRequire(import.meta.url);
let linkedom: typeof import("linkedom") | undefined;
function parseHTML(html: string): ReturnType<typeof import("linkedom").parseHTML> {
  linkedom ??= requireModule("linkedom") as typeof import("linkedom");
  return linkedom.parseHTML(html);
}

export interface HtmlToMarkdownResult {
  /** `<title>` (or og:title), whitespace folded; undefined when the page has none. */
  title: string | undefined;
  markdown: string;
}

/** The few DOM members used here; linkedom's and turndown's types refer to the DOM lib, which this project leaves out. */
interface DomNode {
  nodeName: string;
  textContent: string | null;
  parentNode: DomNode | null;
}

interface DomElement extends DomNode {
  getAttribute(name: string): string | null;
  closest(selector: string): DomElement | null;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): ArrayLike<DomElement>;
  remove(): void;
  children: ArrayLike<DomElement>;
  childNodes: ArrayLike<DomNode>;
  appendChild(node: DomNode): DomNode;
}

interface DomDocument {
  title: string;
  body: DomElement | null;
  documentElement: DomElement | null;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): ArrayLike<DomElement>;
}

/** Elements dropped with everything inside them. */
const DROPPED_SELECTOR = [
  "script",
  "style",
  "noscript",
  "template",
  "iframe",
  "frame",
  "frameset",
  "object",
  "embed",
  "applet",
  "canvas",
  "svg",
  "math",
  "nav",
  "aside",
  "form",
  "button",
  "input",
  "select",
  "textarea",
  "dialog",
  "link",
  "meta",
  "[hidden]",
  '[aria-hidden="true"]',
  '[role="navigation"]',
  '[role="banner"]',
  '[role="contentinfo"]',
  '[role="complementary"]',
  '[role="search"]',
].join(", ");

export function htmlToMarkdown(html: string): HtmlToMarkdownResult {
  const { document } = parseHTML(asDocument(html)) as unknown as { document: DomDocument };
  const title = pageTitle(document);
  adoptStrayContent(document);
  const root = document.body ?? document.documentElement;
  if (root === null) return { title, markdown: "" };
  clean(root);
  const markdown = tidyMarkdown(turndownService().turndown(root as unknown as TurndownService.Node));
  return { title, markdown };
}

/**
 * A page without a `<body>` tag (`<html><script>…</script><h1>Hi</h1></html>`) gets, from
 * linkedom, an empty head and body with the content beside them under `<html>` (a browser would
 * put it in the body): the content is moved into the body, in order, so it is not lost.
 */
function adoptStrayContent(document: DomDocument): void {
  const { documentElement: html, body } = document;
  if (html === null || body === null) return;
  for (const node of Array.from(html.childNodes)) {
    if (node.nodeName !== "HEAD" && node.nodeName !== "BODY") body.appendChild(node);
  }
}

/** linkedom builds no html/body around a fragment; give it a document to parse. */
function asDocument(html: string): string {
  if (/<html[\s>]/i.test(html)) return html;
  if (/<body[\s>]/i.test(html) || /<head[\s>]/i.test(html)) return `<!DOCTYPE html><html>${html}</html>`;
  return `<!DOCTYPE html><html><head></head><body>${html}</body></html>`;
}

function pageTitle(document: DomDocument): string | undefined {
  const candidates = [
    document.title,
    document.querySelector('meta[property="og:title"]')?.getAttribute("content"),
    document.querySelector('meta[name="title"]')?.getAttribute("content"),
  ];
  for (const candidate of candidates) {
    const folded = candidate?.replace(/\s+/g, " ").trim();
    if (folded !== undefined && folded.length > 0) return folded;
  }
  return undefined;
}

function clean(root: DomElement): void {
  for (const element of Array.from(root.querySelectorAll(DROPPED_SELECTOR))) element.remove();
  // A page's banner and footer go; an article's own header (its title, byline) is content.
  for (const element of Array.from(root.querySelectorAll("header, footer"))) {
    if (element.parentNode !== null && element.parentNode !== undefined && element.closest("article, main, section") === null) {
      element.remove();
    }
  }
  // Inline-hidden content: e-mail preheaders, collapsed menus.
  for (const element of Array.from(root.querySelectorAll("[style]"))) {
    if (/(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)/i.test(element.getAttribute("style") ?? "")) element.remove();
  }
}

let service: TurndownService | undefined;

function turndownService(): TurndownService {
  if (service !== undefined) return service;
  // Loaded with the first page, like linkedom above.
  const Turndown = requireModule("turndown") as typeof TurndownService;
  const created = new Turndown({
    headingStyle: "atx",
    codeBlockStyle: "fenced",
    bulletListMarker: "-",
    emDelimiter: "_",
    strongDelimiter: "**",
    hr: "---",
  });
  // Safety net should an element escape `clean` (turndown also keeps <head> text otherwise).
  created.remove(["script", "style", "noscript", "iframe", "head", "title"] as TurndownService.TagName[]);

  created.addRule("links", {
    filter: (node) => nodeName(node) === "A" && (node as unknown as DomElement).getAttribute("href") !== null,
    replacement: (content, node) => {
      const href = ((node as unknown as DomElement).getAttribute("href") ?? "").trim();
      const text = content.replace(/\s+/g, " ").trim();
      if (text.length === 0) return "";
      if (href.length === 0 || href.startsWith("#") || /^(?:javascript|vbscript|data):/i.test(href)) return text;
      return `[${text}](${href.replace(/[()\s]/g, (char) => encodeURIComponent(char))})`;
    },
  });

  created.addRule("images", {
    filter: "img",
    replacement: (_content, node) => {
      const element = node as unknown as DomElement;
      const alt = (element.getAttribute("alt") ?? "").replace(/\s+/g, " ").trim();
      const src = (element.getAttribute("src") ?? "").trim();
      // Only web addresses are worth keeping; data: and cid: sources are bytes, not references.
      if (/^https?:\/\//i.test(src)) return `![${alt}](${src.replace(/[()\s]/g, (char) => encodeURIComponent(char))})`;
      return alt.length > 0 ? `[image: ${alt}]` : "";
    },
  });

  // Data tables (two or more columns, no table inside) as pipe tables; layout tables keep
  // turndown's default of one block per cell.
  created.addRule("tableCell", {
    filter: (node) => (nodeName(node) === "TD" || nodeName(node) === "TH") && isDataTable(tableOf(node)),
    replacement: (content, node) => {
      const cell = content.replace(/\s*\n+\s*/g, " ").replace(/\|/g, "\\|").trim();
      return `${isFirstCell(node) ? "| " : " "}${cell} |`;
    },
  });
  created.addRule("tableRow", {
    filter: (node) => nodeName(node) === "TR" && isDataTable(tableOf(node)),
    replacement: (content, node) => {
      const table = tableOf(node);
      const rows = table === null ? [] : Array.from(table.querySelectorAll("tr"));
      if (rows[0] !== (node as unknown as DomElement)) return `\n${content}`;
      const width = Math.max(...rows.map((row) => cellsOf(row).length), 1);
      const cells = cellsOf(node as unknown as DomElement).length;
      const padded = content + " |".repeat(Math.max(0, width - cells));
      return `\n${padded}\n|${" --- |".repeat(width)}`;
    },
  });
  created.addRule("tableSection", {
    filter: (node) => ["THEAD", "TBODY", "TFOOT"].includes(nodeName(node)) && isDataTable(tableOf(node)),
    replacement: (content) => content,
  });
  created.addRule("table", {
    filter: (node) => nodeName(node) === "TABLE" && isDataTable(node as unknown as DomElement),
    replacement: (content) => `\n\n${content.replace(/^\n+/, "")}\n\n`,
  });
  service = created;
  return created;
}

function nodeName(node: unknown): string {
  return (node as DomNode).nodeName.toUpperCase();
}

function tableOf(node: unknown): DomElement | null {
  return (node as DomElement).closest("table");
}

function cellsOf(row: DomElement): DomElement[] {
  return Array.from(row.children).filter((child) => child.nodeName === "TD" || child.nodeName === "TH");
}

function isFirstCell(node: unknown): boolean {
  const element = node as DomElement;
  const parent = element.parentNode as DomElement | null;
  return parent === null || cellsOf(parent)[0] === element;
}

const dataTables = new WeakMap<object, boolean>();

function isDataTable(table: DomElement | null): boolean {
  if (table === null) return false;
  const known = dataTables.get(table);
  if (known !== undefined) return known;
  const rows = Array.from(table.querySelectorAll("tr"));
  const verdict =
    table.querySelector("table") === null && rows.length > 0 && Math.max(...rows.map((row) => cellsOf(row).length)) >= 2;
  dataTables.set(table, verdict);
  return verdict;
}

function tidyMarkdown(markdown: string): string {
  return markdown
    .split("\n")
    .map((line) => line.replace(/[ \t]+$/, ""))
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/**
 * Decodes HTML bytes: a byte-order mark first, then a `<meta charset>` (or http-equiv
 * Content-Type) in the first 4 KiB, else UTF-8. Invalid bytes become U+FFFD.
 */
export function decodeHtmlBytes(bytes: Uint8Array): string {
  let label = "utf-8";
  if (bytes[0] === 0xfe && bytes[1] === 0xff) label = "utf-16be";
  else if (bytes[0] === 0xff && bytes[1] === 0xfe) label = "utf-16le";
  else if (!(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)) {
    const head = Buffer.from(bytes.subarray(0, 4096)).toString("latin1");
    const declared = /<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)/i.exec(head)?.[1];
    if (declared !== undefined) label = declared.toLowerCase();
  }
  try {
    return new TextDecoder(label).decode(bytes);
  } catch {
    return new TextDecoder("utf-8").decode(bytes);
  }
}

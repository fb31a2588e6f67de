/**
 * PDFs to text with pdf.js (pdfjs-dist, legacy build: the one meant for Node).
 *
 * - Each page's text layer is read in order; the text carries a "--- page N ---" header per
 *   page and the output's provenance lists the pages, so a memory can point back to its page.
 * - A page without a text layer (a scan, a photo of a page), or whose only text is an invisible
 *   OCR layer over a page image (often poor), is rendered to PNG with @napi-rs/canvas (pdf.js'
 *   own canvas in Node; prebuilt, no system libraries) and read by the vision model when there
 *   is one, else by local OCR. With neither, a scan's OCR layer is used as it is, and a page with
 *   no text at all is marked in the text; when no page had any text, the parse fails with
 *   CapabilityUnavailableError (415).
 * - At most `limits.maxPdfPages` pages are read; the text says when the rest was left out.
 * - Password-protected and unreadable files are UnsupportedFormatError (415).
 *
 * pdf.js parses and draws on the calling thread in Node (it has no worker there) but yields
 * between its steps; PNG encoding runs in libuv's pool and OCR in tesseract.js' worker threads.
 */
import { createRequire } from "node:module";
import path from "node:path";

import { CapabilityUnavailableError, InternalError, isOmnimemError, UnsupportedFormatError } from "../../spec/errors.js";
import type { ParseContext, ParseInput, ParseOutput, Parser } from "../../spec/parser.js";
import type { Provenance } from "../../spec/types.js";
import { pdfPagePrompt } from "../../providers/vision/vision-model.js";

export interface PdfParserOptions {
  /** Resolution pages without text are rendered at. Default 200 dpi (good for OCR). */
  renderDpi?: number;
  /** Longest side of a rendered page, in pixels. Default 2048 (what vision models take in). */
  renderMaxDimension?: number;
  /** A page with fewer visible characters than this that also paints an image counts as scanned. Default 16. */
  minTextChars?: number;
}

/** How a page's text was obtained. */
export type PdfPageMethod = "text-layer" | "vision" | "ocr";

const METHOD_ORDER: readonly PdfPageMethod[] = ["text-layer", "vision", "ocr"];

type PdfJs = typeof import("pdfjs-dist/legacy/build/pdf.mjs");
type PdfDocument = Awaited<ReturnType<PdfJs["getDocument"]>["promise"]>;
type PdfPage = Awaited<ReturnType<PdfDocument["getPage"]>>;

const require = createRequire(import.meta.url);

let pdfjsModule: Promise<PdfJs> | undefined;

/** pdf.js is large; it is loaded on the first PDF, not when the parser is built. */
function loadPdfJs(): Promise<PdfJs> {
  pdfjsModule ??= import("pdfjs-dist/legacy/build/pdf.mjs").catch((error: unknown) => {
    pdfjsModule = undefined;
    throw new CapabilityUnavailableError(`PDF parsing needs pdfjs-dist, which could not be loaded: ${messageOf(error)}`, {
      cause: error,
      duringParse: true,
    });
  });
  return pdfjsModule;
}

/** Folders pdf.js reads fonts, character maps, colour profiles and image decoders from; URLs must end in "/". */
function pdfjsResources(): Record<"standardFontDataUrl" | "cMapUrl" | "iccUrl" | "wasmUrl", string> {
  const root = path.dirname(require.resolve("pdfjs-dist/package.json")).split(path.sep).join("/");
  return {
    standardFontDataUrl: `${root}/standard_fonts/`,
    cMapUrl: `${root}/cmaps/`,
    iccUrl: `${root}/iccs/`,
    wasmUrl: `${root}/wasm/`,
  };
}

export class PdfParser implements Parser {
  readonly name = "pdf";
  readonly formats: readonly string[] = ["pdf"];

  private readonly renderDpi: number;
  private readonly renderMaxDimension: number;
  private readonly minTextChars: number;

  constructor(options: PdfParserOptions = {}) {
    this.renderDpi = positive("renderDpi", options.renderDpi ?? 200);
    this.renderMaxDimension = positive("renderMaxDimension", options.renderMaxDimension ?? 2048);
    this.minTextChars = options.minTextChars ?? 16;
    if (!Number.isInteger(this.minTextChars) || this.minTextChars < 0) {
      throw new RangeError(`minTextChars must be an integer >= 0, got ${String(options.minTextChars)}`);
    }
  }

  async parse(input: ParseInput, context: ParseContext): Promise<ParseOutput> {
    const pdfjs = await loadPdfJs();
    const document = await this.open(pdfjs, input, context);
    try {
      return await this.readPages(pdfjs, document, input, context);
    } finally {
      await document.destroy().catch(() => {});
    }
  }

  private async open(pdfjs: PdfJs, input: ParseInput, context: ParseContext): Promise<PdfDocument> {
    const task = pdfjs.getDocument({
      // pdf.js takes ownership of (and may detach) the buffer it is given.
      data: new Uint8Array(input.bytes),
      ...pdfjsResources(),
      isEvalSupported: false,
      enableXfa: false,
      disableFontFace: true,
      useSystemFonts: false,
      isOffscreenCanvasSupported: false,
      // Images inside the PDF obey the same decompression-bomb cap as image parts.
      maxImageSize: context.limits.maxImagePixels,
      verbosity: pdfjs.VerbosityLevel.ERRORS,
    });
    try {
      return await task.promise;
    } catch (error) {
      await task.destroy().catch(() => {});
      throw openError(error, input.name);
    }
  }

  private async readPages(pdfjs: PdfJs, document: PdfDocument, input: ParseInput, context: ParseContext): Promise<ParseOutput> {
    const pageCount = document.numPages;
    const limit = Math.min(pageCount, context.limits.maxPdfPages);
    const sections: string[] = [];
    const provenance: Provenance[] = [];
    const methods = new Set<PdfPageMethod>();
    let unreadable = 0;
    let produced = 0;

    for (let number = 1; number <= limit; number++) {
      context.abortSignal?.throwIfAborted();
      const page = await document.getPage(number);
      try {
        const result = await this.readPage(pdfjs, page, number, pageCount, context);
        if (result.kind === "text") {
          if (result.text.length === 0) continue;
          sections.push(`--- page ${number} ---\n${result.text}`);
          provenance.push({ page: number });
          methods.add(result.method);
          produced++;
        } else {
          unreadable++;
          sections.push(
            `--- page ${number} ---\n[This page has no text layer; configure a multimodal model or local OCR to read scanned pages.]`,
          );
        }
      } finally {
        page.cleanup();
      }
    }

    if (produced === 0 && unreadable > 0) {
      const what = input.name === undefined ? "this PDF" : `the PDF ${JSON.stringify(input.name)}`;
      throw new CapabilityUnavailableError(
        `Cannot read ${what}: it has no text layer (a scan) and neither a multimodal model nor local OCR is available. ` +
          "Configure [multimodal] model/base_url (OMNIMEM_MULTIMODAL__MODEL, OMNIMEM_MULTIMODAL__BASE_URL), or enable local OCR (tesseract.js).",
        { duringParse: true, details: { capability: "vision|ocr", pages: unreadable } },
      );
    }
    if (limit < pageCount) {
      sections.push(
        `--- truncated: only the first ${limit} of ${pageCount} pages were read (the limit is ${context.limits.maxPdfPages} pages) ---`,
      );
    }
    const used = METHOD_ORDER.filter((method) => methods.has(method));
    return {
      text: sections.join("\n\n"),
      parser: `pdf/${used.length === 0 ? "text-layer" : used.join("+")}`,
      provenance,
    };
  }

  private async readPage(
    pdfjs: PdfJs,
    page: PdfPage,
    number: number,
    pageCount: number,
    context: ParseContext,
  ): Promise<{ kind: "text"; text: string; method: PdfPageMethod } | { kind: "unreadable" }> {
    const layer = tidy(await pageText(page));
    const visible = layer.replace(/\s/g, "").length;
    const { vision, ocr } = context;
    const canRead = vision !== undefined || ocr !== undefined;
    if (visible >= this.minTextChars && !canRead) return { kind: "text", text: layer, method: "text-layer" };
    const drawing = await pageDrawing(pdfjs, page);
    let scanned: boolean;
    if (visible >= this.minTextChars) {
      // A scan that went through someone's OCR: a page image under invisible text (render mode 3),
      // perhaps with a visible stamp or footer an archive added. That text is often poor; our
      // vision model or OCR reads the picture instead.
      scanned = drawing.images && drawing.invisibleTextChars >= 4 * Math.max(1, drawing.visibleTextChars);
    } else {
      // A few words over a picture is a scan with a stray label; a few words alone is a short page.
      // No text at all over any drawing may be a scan or text turned into outlines.
      scanned = visible > 0 ? drawing.images : drawing.images || drawing.paths;
    }
    if (!scanned) return { kind: "text", text: layer, method: "text-layer" };
    if (!canRead) return visible > 0 ? { kind: "text", text: layer, method: "text-layer" } : { kind: "unreadable" };
    const png = await this.render(page, context);
    context.abortSignal?.throwIfAborted();
    let text: string;
    let method: PdfPageMethod;
    if (vision !== undefined) {
      text = await vision.describeImage({
        image: png,
        mediaType: "image/png",
        prompt: pdfPagePrompt(number, pageCount),
        ...(context.abortSignal === undefined ? {} : { abortSignal: context.abortSignal }),
      });
      method = "vision";
    } else {
      text = await (ocr as NonNullable<typeof ocr>).recognize(png, context.abortSignal);
      method = "ocr";
    }
    text = tidy(text);
    // The picture shows the text layer too; when it gave nothing, the layer is still something.
    if (text.length === 0 && visible > 0) return { kind: "text", text: layer, method: "text-layer" };
    return { kind: "text", text, method };
  }

  /** The page as a PNG on white, at renderDpi, within renderMaxDimension and the pixel cap. */
  private async render(page: PdfPage, context: ParseContext): Promise<Uint8Array> {
    const canvasModule = await loadCanvas();
    const base = page.getViewport({ scale: 1 });
    const longest = Math.max(base.width, base.height, 1);
    let scale = Math.min(this.renderDpi / 72, this.renderMaxDimension / longest);
    const area = Math.max(1, base.width * base.height);
    if (area * scale * scale > context.limits.maxImagePixels) scale = Math.sqrt(context.limits.maxImagePixels / area);
    const viewport = page.getViewport({ scale });
    const width = Math.max(1, Math.floor(viewport.width));
    const height = Math.max(1, Math.floor(viewport.height));
    const canvas = canvasModule.createCanvas(width, height);
    const context2d = canvas.getContext("2d");
    context2d.fillStyle = "#ffffff";
    context2d.fillRect(0, 0, width, height);
    try {
      await page.render({
        canvas: canvas as unknown as Parameters<PdfPage["render"]>[0]["canvas"],
        viewport,
        background: "#ffffff",
      }).promise;
    } catch (error) {
      throw new InternalError(`rendering a PDF page failed: ${messageOf(error)}`, { cause: error });
    }
    const png = await canvas.encode("png");
    return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
  }
}

type CanvasModule = typeof import("@napi-rs/canvas");

let canvasModule: Promise<CanvasModule> | undefined;

function loadCanvas(): Promise<CanvasModule> {
  canvasModule ??= import("@napi-rs/canvas").catch((error: unknown) => {
    canvasModule = undefined;
    throw new CapabilityUnavailableError(
      `Reading scanned PDF pages needs @napi-rs/canvas to render them, which could not be loaded: ${messageOf(error)}`,
      { cause: error, duringParse: true },
    );
  });
  return canvasModule;
}

/**
 * The page's text layer in reading order, with lines rebuilt from geometry: some producers
 * (LibreOffice Impress) emit one item per glyph, each flagged end-of-line, so pdf.js's hasEOL
 * alone would put every letter on its own line.
 */
async function pageText(page: PdfPage): Promise<string> {
  const content = await page.getTextContent();
  let text = "";
  let lastY: number | undefined;
  let lastEndX = 0;
  for (const item of content.items) {
    if (!("str" in item) || item.str === "") continue;
    const x = item.transform[4] as number;
    const y = item.transform[5] as number;
    const size = item.height || Math.abs(item.transform[3] as number) || 10;
    if (lastY !== undefined) {
      if (Math.abs(y - lastY) > size * 0.4) text += "\n";
      else if (x - lastEndX > size * 0.15 && !text.endsWith(" ") && !item.str.startsWith(" ")) text += " ";
    }
    text += item.str;
    lastY = y;
    lastEndX = x + item.width;
  }
  return text;
}

const IMAGE_OPERATORS = [
  "paintImageXObject",
  "paintInlineImageXObject",
  "paintInlineImageXObjectGroup",
  "paintImageXObjectRepeat",
  "paintImageMaskXObject",
  "paintImageMaskXObjectGroup",
  "paintImageMaskXObjectRepeat",
] as const;

const PATH_OPERATORS = ["constructPath", "fill", "eoFill", "stroke", "fillStroke", "eoFillStroke", "shadingFill"] as const;

const TEXT_OPERATORS = ["showText", "showSpacedText", "nextLineShowText", "nextLineSetSpacingShowText"] as const;

interface PageDrawing {
  images: boolean;
  /** Vector paths or shadings. */
  paths: boolean;
  /** Non-blank characters shown in a visible render mode, and in an invisible one (3: neither fill nor stroke; 7: clip only). */
  visibleTextChars: number;
  invisibleTextChars: number;
}

/** What the page draws, from its operator list. */
async function pageDrawing(pdfjs: PdfJs, page: PdfPage): Promise<PageDrawing> {
  const { OPS } = pdfjs;
  const imageOperators = new Set<number>(IMAGE_OPERATORS.map((name) => OPS[name]));
  const pathOperators = new Set<number>(PATH_OPERATORS.map((name) => OPS[name]));
  const textOperators = new Set<number>(TEXT_OPERATORS.map((name) => OPS[name]));
  const list = await page.getOperatorList();
  const drawing: PageDrawing = { images: false, paths: false, visibleTextChars: 0, invisibleTextChars: 0 };
  // The render mode is graphics state: saved and restored with it.
  let mode = 0;
  const saved: number[] = [];
  list.fnArray.forEach((fn, index) => {
    if (imageOperators.has(fn)) drawing.images = true;
    else if (pathOperators.has(fn)) drawing.paths = true;
    else if (textOperators.has(fn)) {
      const shown = shownCharacters(list.argsArray[index]);
      if (mode === 3 || mode === 7) drawing.invisibleTextChars += shown;
      else drawing.visibleTextChars += shown;
    } else if (fn === OPS.setTextRenderingMode) {
      const value = (list.argsArray[index] as unknown[] | null)?.[0];
      mode = typeof value === "number" ? value : 0;
    } else if (fn === OPS.save) saved.push(mode);
    else if (fn === OPS.restore) mode = saved.pop() ?? 0;
  });
  return drawing;
}

/** Non-blank characters in a text-showing operation's glyph list (numbers in it are spacing). */
function shownCharacters(args: unknown): number {
  const glyphs = Array.isArray(args) ? args.find((arg) => Array.isArray(arg)) : undefined;
  if (!Array.isArray(glyphs)) return 0;
  let count = 0;
  for (const glyph of glyphs as unknown[]) {
    const unicode = typeof glyph === "object" && glyph !== null ? (glyph as { unicode?: unknown }).unicode : undefined;
    if (typeof unicode === "string" && unicode.trim().length > 0) count++;
  }
  return count;
}

/** Spaces folded inside lines, lines trimmed, at most one blank line in a row, no control characters. */
function tidy(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, "")
    .split("\n")
    .map((line) => line.replace(/[ \t\u00a0]+/g, " ").trim())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

function openError(error: unknown, name: string | undefined): Error {
  if (isOmnimemError(error)) return error;
  const what = name === undefined ? "the PDF" : `the PDF ${JSON.stringify(name)}`;
  const errorName = error instanceof Error ? error.name : undefined;
  if (errorName === "PasswordException") {
    return new UnsupportedFormatError(`${what} is password-protected; omnimem cannot read encrypted PDFs`, {
      cause: error,
      details: { format: "pdf", reason: "encrypted" },
    });
  }
  // pdf.js's own message stays in the cause (for the logs), not in what the caller reads.
  return new UnsupportedFormatError(`${what} is not a readable PDF (truncated or corrupt)`, {
    cause: error,
    details: { format: "pdf", reason: "corrupt" },
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${String(value)}`);
  return value;
}

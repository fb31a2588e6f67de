/**
 * Office documents (doc docx ppt pptx xls xlsx odt ods odp rtf). With LibreOffice installed,
 * documents and presentations go LibreOffice → PDF → the registry's pdf parser (text layer,
 * OCR or vision for pages without text), so layout and embedded images are handled once, in
 * one place. Without it, built-in extractors read docx, xlsx, pptx, OpenDocument and RTF; the
 * legacy binary formats (doc, ppt, xls) then answer CAPABILITY_UNAVAILABLE (415).
 *
 * Spreadsheets are read as cells by default, not through PDF: a PDF print of a sheet cuts
 * text at the column edge ("Food & drink" in a narrow column prints as "Food & dr"), splits
 * wide sheets over pages and drops sheet names. So xlsx is read by the built-in reader, ods by
 * the OpenDocument reader, and xls is converted by LibreOffice to xlsx first.
 * (`spreadsheets: "pdf"` restores the PDF route.)
 */
import { CapabilityUnavailableError } from "../../spec/errors.js";
import type { ParseContext, ParseInput, ParseOutput, Parser } from "../../spec/parser.js";
import { extractDocxText } from "./docx.js";
import {
  convertToPdf,
  convertWithLibreOffice,
  detectSoffice,
  LIBREOFFICE_INSTALL_HINT,
  type LibreOfficeConversionOptions,
} from "./libreoffice.js";
import { extractOpenDocumentText } from "./opendocument.js";
import { extractPptxText, extractPptxUnprintedText } from "./pptx.js";
import { looksLikeRtf, rtfToText } from "./rtf.js";
import { extractXlsxText } from "./xlsx.js";
import { isZipPackage, verifyZipExpansion } from "./zip-package.js";

export const OFFICE_FORMATS = ["doc", "docx", "ppt", "pptx", "xls", "xlsx", "odt", "ods", "odp", "rtf"] as const;

export type OfficeFormat = (typeof OFFICE_FORMATS)[number];

export interface OfficeParserOptions {
  /**
   * The soffice executable. Undefined (default): looked up on PATH once, on first use.
   * null: behave as if LibreOffice were not installed (built-in extractors only).
   */
  sofficePath?: string | null;
  /**
   * When the LibreOffice path fails (a conversion it cannot do, a time-out, a PDF the pdf parser
   * rejects) for a format with a built-in extractor, use that extractor instead. Default true.
   */
  fallbackToBuiltIn?: boolean;
  /** Where conversions make their temporary folders. Default: the OS temp folder. */
  tempDir?: string;
  /**
   * "cells" (default): spreadsheets as tab-separated rows per sheet (xls converted to xlsx by
   * LibreOffice first). "pdf": like the other formats, through LibreOffice's PDF print.
   */
  spreadsheets?: "cells" | "pdf";
}

const SPREADSHEET_FORMATS = new Set(["xls", "xlsx", "ods"]);

type BuiltInExtractor = (bytes: Uint8Array) => Promise<string>;

const BUILT_IN: Readonly<Partial<Record<string, { parser: string; extract: BuiltInExtractor }>>> = {
  docx: { parser: "office/docx", extract: extractDocxText },
  xlsx: { parser: "office/xlsx", extract: extractXlsxText },
  pptx: { parser: "office/pptx", extract: extractPptxText },
  odt: { parser: "office/odf", extract: (bytes) => extractOpenDocumentText(bytes, "odt") },
  ods: { parser: "office/odf", extract: (bytes) => extractOpenDocumentText(bytes, "ods") },
  odp: { parser: "office/odf", extract: (bytes) => extractOpenDocumentText(bytes, "odp") },
  rtf: { parser: "office/rtf", extract: async (bytes) => rtfToText(bytes) },
};

export class OfficeParser implements Parser {
  readonly name = "office";
  readonly formats: readonly string[] = OFFICE_FORMATS;

  private readonly sofficeOption: string | null | undefined;
  private readonly fallbackToBuiltIn: boolean;
  private readonly tempDir: string | undefined;
  private readonly spreadsheets: "cells" | "pdf";

  /** Does no I/O: LibreOffice is looked up on first use. */
  constructor(options: OfficeParserOptions = {}) {
    this.sofficeOption = options.sofficePath;
    this.fallbackToBuiltIn = options.fallbackToBuiltIn ?? true;
    this.tempDir = options.tempDir;
    this.spreadsheets = options.spreadsheets ?? "cells";
  }

  /** The soffice that conversions use, or undefined when LibreOffice is not available. */
  get sofficePath(): string | undefined {
    if (this.sofficeOption === null) return undefined;
    return this.sofficeOption ?? detectSoffice();
  }

  async parse(input: ParseInput, context: ParseContext): Promise<ParseOutput> {
    let format = input.format.format;
    // Word writes RTF under a .doc name; the bytes tell.
    if ((format === "doc" || format === "rtf") && looksLikeRtf(input.bytes)) format = "rtf";
    const builtIn = BUILT_IN[format];
    const soffice = this.sofficePath;
    // Before any reader inflates it (LibreOffice included): what the package really expands to.
    if (isZipPackage(input.bytes)) await verifyZipExpansion(input.bytes, format);

    if (this.spreadsheets === "cells" && SPREADSHEET_FORMATS.has(format)) {
      if (builtIn !== undefined) return { text: await builtIn.extract(input.bytes), parser: builtIn.parser };
      if (soffice !== undefined) {
        const xlsx = await convertWithLibreOffice(input.bytes, format, "xlsx", this.conversionOptions(context, soffice));
        return { text: await extractXlsxText(xlsx), parser: "office/libreoffice-xlsx" };
      }
    }

    if (soffice !== undefined) {
      try {
        return await this.viaLibreOffice(soffice, format, input, context);
      } catch (error) {
        if (context.abortSignal?.aborted || builtIn === undefined || !this.fallbackToBuiltIn) throw error;
        try {
          return { text: await builtIn.extract(input.bytes), parser: builtIn.parser };
        } catch {
          // The built-in reader could not do better; LibreOffice's error says more.
          throw error;
        }
      }
    }

    if (builtIn === undefined) {
      throw new CapabilityUnavailableError(
        `Parsing ${format} files needs LibreOffice, which is not installed: ${LIBREOFFICE_INSTALL_HINT}`,
        { duringParse: true, details: { format, capability: "libreoffice" } },
      );
    }
    return { text: await builtIn.extract(input.bytes), parser: builtIn.parser };
  }

  private async viaLibreOffice(soffice: string, format: string, input: ParseInput, context: ParseContext): Promise<ParseOutput> {
    const pdf = await convertToPdf(input.bytes, format, this.conversionOptions(context, soffice));
    const name = `${input.name ?? `document.${format}`}.pdf`;
    const nested = await context.parseNested(pdf, name, context.depth + 1);
    // A slide's print has no speaker notes and no alt text: they come from the package itself.
    const unprinted = format === "pptx" ? await extractPptxUnprintedText(input.bytes).catch(() => "") : "";
    return {
      text: unprinted.length > 0 ? `${nested.text}\n\n--- speaker notes and picture descriptions ---\n${unprinted}` : nested.text,
      parser: "office/libreoffice",
      ...(nested.provenance === undefined ? {} : { provenance: nested.provenance }),
    };
  }

  private conversionOptions(context: ParseContext, soffice: string): LibreOfficeConversionOptions {
    return {
      sofficePath: soffice,
      timeoutMs: context.limits.officeTimeoutMs,
      ...(context.abortSignal === undefined ? {} : { abortSignal: context.abortSignal }),
      ...(this.tempDir === undefined ? {} : { tempDir: this.tempDir }),
    };
  }
}

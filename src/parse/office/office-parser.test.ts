import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

import JSZip from "jszip";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  docxWithText,
  odpWithSlides,
  odsWithRows,
  odtWithLinkedImage,
  odtWithText,
  pptxWithSlides,
  recordingContext,
  rtfWithText,
  xlsxWithRows,
  type NestedParseCall,
} from "../../../test/support/fixtures/documents.js";
import { imageWithText } from "../../../test/support/fixtures/images.js";
import { CapabilityUnavailableError, FileSizeError, UnsupportedFormatError } from "../../spec/errors.js";
import type { ParseInput, ParseOutput } from "../../spec/parser.js";
import { convertToPdf, convertWithLibreOffice, detectSoffice } from "./libreoffice.js";
import { OfficeParser } from "./office-parser.js";
import { openDocumentContentText } from "./opendocument.js";
import { rtfToText } from "./rtf.js";
import { checkZipExpansion, verifyZipExpansion } from "./zip-package.js";

function input(format: string, bytes: Uint8Array, name?: string): ParseInput {
  return { bytes, format: { format, mediaType: "application/octet-stream", modality: "doc" }, ...(name === undefined ? {} : { name }) };
}

const builtIn = new OfficeParser({ sofficePath: null });

describe("OfficeParser without LibreOffice (built-in extractors)", () => {
  it("reads docx paragraphs", async () => {
    const { context, calls } = recordingContext();
    const output = await builtIn.parse(input("docx", await docxWithText(["Quarterly report", "Revenue grew by 12 % & costs fell."])), context);
    expect(output).toEqual({ text: "Quarterly report\n\nRevenue grew by 12 % & costs fell.", parser: "office/docx" });
    expect(calls).toHaveLength(0);
  });

  it("reads xlsx sheets as tab-separated rows under their names", async () => {
    const { context } = recordingContext();
    const bytes = await xlsxWithRows([
      { name: "Budget", rows: [["Item", "Cost", "Paid"], ["Rent", 1200, true], ["Food & drink", 300.5, false]] },
      { name: "Notes", rows: [["only one cell"]] },
    ]);
    const output = await builtIn.parse(input("xlsx", bytes), context);
    expect(output.parser).toBe("office/xlsx");
    expect(output.text).toBe(
      "--- sheet: Budget ---\nItem\tCost\tPaid\nRent\t1200\ttrue\nFood & drink\t300.5\tfalse\n\n--- sheet: Notes ---\nonly one cell",
    );
  });

  it("reads pptx slides in presentation order, with speaker notes", async () => {
    const { context } = recordingContext();
    const bytes = await pptxWithSlides([
      { title: "Roadmap", bullets: ["Ship v1", "Hire <two> engineers"], notes: "Mention the budget" },
      { title: "Questions?" },
    ]);
    const output = await builtIn.parse(input("pptx", bytes), context);
    expect(output).toEqual({
      text: "--- slide 1 ---\nRoadmap\nShip v1\nHire <two> engineers\nnotes: Mention the budget\n\n--- slide 2 ---\nQuestions?",
      parser: "office/pptx",
    });
  });

  it("keeps pptx picture alt text, chart titles and speaker notes, in slide order", async () => {
    const { context } = recordingContext();
    const bytes = await pptxWithSlides([
      { title: "Fleet", pictures: [{ alt: "A red bicycle & its rider" }], notes: "Say the bike is a prototype" },
      { title: "Numbers", bullets: ["Up 4%"], charts: [{ title: "Sales by quarter" }], pictures: [{ alt: "Team photo at the lake" }] },
      { title: "Two charts", charts: [{ title: "Churn" }, { title: "Signups" }], notes: "Churn fell after the price change" },
    ]);
    const output = await builtIn.parse(input("pptx", bytes), context);
    expect(output.text).toBe(
      [
        "--- slide 1 ---\nFleet\n[image: A red bicycle & its rider]\nnotes: Say the bike is a prototype",
        "--- slide 2 ---\nNumbers\nUp 4%\n[image: Team photo at the lake]\n[chart: Sales by quarter]",
        "--- slide 3 ---\nTwo charts\n[chart: Churn]\n[chart: Signups]\nnotes: Churn fell after the price change",
      ].join("\n\n"),
    );
    // The axis title belongs to the axis, not to the chart.
    expect(output.text).not.toContain("Quarter\n");
  });

  it("reads odt, ods and odp content", async () => {
    const { context } = recordingContext();
    const odt = await builtIn.parse(input("odt", await odtWithText(["Minutes", "Present:  Ann and Bob", "Next meeting Friday"])), context);
    expect(odt).toEqual({ text: "Minutes\nPresent:  Ann and Bob\nNext meeting Friday", parser: "office/odf" });
    const ods = await builtIn.parse(input("ods", await odsWithRows([{ name: "Stock", rows: [["Apples", 12], ["Pears", 3]] }])), context);
    expect(ods.text).toBe("--- sheet: Stock ---\nApples\t12\nPears\t3");
    const odp = await builtIn.parse(input("odp", await odpWithSlides([{ title: "Intro", bullets: ["Why"] }, { title: "End" }])), context);
    expect(odp.text).toBe("--- slide 1 ---\nIntro\nWhy\n\n--- slide 2 ---\nEnd");
  });

  it("reads rtf, also when it arrives named .doc", async () => {
    const { context } = recordingContext();
    const bytes = rtfWithText(["Meeting notes", "Café at 10 — bring {slides}", "Ünïcödé 😀"]);
    const expected = "Meeting notes\nCafé at 10 — bring {slides}\nÜnïcödé 😀";
    expect(await builtIn.parse(input("rtf", bytes), context)).toEqual({ text: expected, parser: "office/rtf" });
    expect(await builtIn.parse(input("doc", bytes), context)).toEqual({ text: expected, parser: "office/rtf" });
  });

  it("answers CAPABILITY_UNAVAILABLE (415) for legacy doc, ppt and xls", async () => {
    const { context } = recordingContext();
    const legacy = new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, ...new Uint8Array(504)]);
    for (const format of ["doc", "ppt", "xls"]) {
      const failure = builtIn.parse(input(format, legacy), context);
      await expect(failure).rejects.toBeInstanceOf(CapabilityUnavailableError);
      await expect(builtIn.parse(input(format, legacy), context)).rejects.toMatchObject({
        code: "CAPABILITY_UNAVAILABLE",
        duringParse: true,
        httpStatus: 415,
        message: expect.stringContaining("LibreOffice"),
      });
    }
  });

  it("answers UNSUPPORTED_FORMAT for a damaged file", async () => {
    const { context } = recordingContext();
    const garbage = new TextEncoder().encode("this is not a zip package");
    for (const format of ["docx", "xlsx", "pptx", "odt"]) {
      await expect(builtIn.parse(input(format, garbage), context)).rejects.toBeInstanceOf(UnsupportedFormatError);
    }
    await expect(builtIn.parse(input("rtf", garbage), context)).rejects.toBeInstanceOf(UnsupportedFormatError);
  });

  it("refuses zip packages that would inflate past the limit before inflating them", async () => {
    const zip = new JSZip();
    zip.file("word/document.xml", "x".repeat(200_000));
    const bytes = await zip.generateAsync({ type: "uint8array", compression: "DEFLATE" });
    expect(() => checkZipExpansion(bytes, "docx", { maxUncompressedBytes: 100_000, maxEntries: 10 })).toThrow(FileSizeError);
    expect(() => checkZipExpansion(bytes, "docx", { maxUncompressedBytes: 300_000, maxEntries: 10 })).not.toThrow();
  });

  it("refuses a package whose entries inflate past the sizes they declare, having inflated no more than declared", async () => {
    const zip = new JSZip();
    zip.file("xl/worksheets/sheet1.xml", " ".repeat(20_000_000));
    const bytes = await zip.generateAsync({ type: "uint8array", compression: "DEFLATE" });
    // Both the local header and the central directory say 100 bytes (a zip bomb's lie).
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    view.setUint32(22, 100, true);
    let directory = bytes.length - 22;
    while (view.getUint32(directory, true) !== 0x02014b50) directory--;
    view.setUint32(directory + 24, 100, true);
    const { context } = recordingContext();
    for (const format of ["xlsx", "docx", "odt"]) {
      const refused = builtIn.parse(input(format, bytes), context);
      await expect(refused, format).rejects.toBeInstanceOf(FileSizeError);
      await expect(refused, format).rejects.toMatchObject({ details: { reason: "zip-sizes-lie" } });
    }
    // A large declared size takes the streamed path, which stops at the declared size too.
    view.setUint32(22, 6_000_000, true);
    view.setUint32(directory + 24, 6_000_000, true);
    await expect(verifyZipExpansion(bytes, "xlsx")).rejects.toMatchObject({ code: "FILE_TOO_LARGE", details: { reason: "zip-sizes-lie" } });
    // An honest package passes.
    const honest = await new JSZip().file("word/document.xml", "x".repeat(1000)).generateAsync({ type: "uint8array", compression: "DEFLATE" });
    await expect(verifyZipExpansion(honest, "docx")).resolves.toBeUndefined();
  });
});

describe("rtfToText", () => {
  it("skips tables of fonts, colours and styles, info, \\* destinations and hidden text", () => {
    const rtf =
      "{\\rtf1\\ansi\\ansicpg1252{\\fonttbl{\\f0 Times;}}{\\colortbl;\\red0\\green0\\blue0;}{\\stylesheet{\\s1 Heading 1;}}" +
      "{\\info{\\title Secret title}}{\\*\\generator Writer}\\pard Caf\\'e9 na\\u239?ve{\\v hidden words} end\\par" +
      "{\\field{\\*\\fldinst HYPERLINK \"https://x\"}{\\fldrslt link text}}\\line next\\tab cell\\par" +
      "{\\pict\\pngblip 89504e47}Row 1\\cell Row 2\\cell\\row}";
    expect(rtfToText(new TextEncoder().encode(rtf))).toBe("Café naïve end\nlink text\nnext\tcell\nRow 1\tRow 2");
  });

  it("decodes \\'hh bytes in the declared code page", () => {
    const rtf = "{\\rtf1\\ansi\\ansicpg1251 \\'cf\\'f0\\'e8\\'e2\\'e5\\'f2}";
    expect(rtfToText(new TextEncoder().encode(rtf))).toBe("Привет");
  });
});

describe("openDocumentContentText", () => {
  it("ignores annotations and tracked changes and expands text:s and tabs", () => {
    const xml =
      '<office:document-content><office:body><office:text><text:tracked-changes><text:p>deleted</text:p></text:tracked-changes>' +
      '<text:p>a<text:s text:c="3"/>b<text:tab/>c<office:annotation><text:p>comment</text:p></office:annotation></text:p>' +
      "<text:p>x &amp; y</text:p></office:text></office:body></office:document-content>";
    expect(openDocumentContentText(xml, "odt")).toBe("a   b\tc\nx & y");
  });
});

// ---------------------------------------------------------------------------------------
// LibreOffice
// ---------------------------------------------------------------------------------------

/** The PDF's text through pdfjs-dist when the project has it; undefined otherwise. */
async function pdfText(bytes: Uint8Array): Promise<string | undefined> {
  const specifier = "pdfjs-dist/legacy/build/pdf.mjs";
  let pdfjs: { getDocument(options: { data: Uint8Array }): { promise: Promise<PdfDocument> } };
  try {
    pdfjs = (await import(specifier)) as typeof pdfjs;
  } catch {
    return undefined;
  }
  const document = await pdfjs.getDocument({ data: new Uint8Array(bytes) }).promise;
  const pages: string[] = [];
  for (let page = 1; page <= document.numPages; page++) {
    const content = await (await document.getPage(page)).getTextContent();
    pages.push(content.items.map((item) => item.str ?? "").join(" "));
  }
  return pages.join("\n");
}

interface PdfDocument {
  numPages: number;
  getPage(page: number): Promise<{ getTextContent(): Promise<{ items: { str?: string }[] }> }>;
}

const soffice = detectSoffice();

describe.skipIf(soffice === undefined)("OfficeParser with LibreOffice", () => {
  const parser = new OfficeParser();
  let tempDir: string;

  beforeAll(async () => {
    tempDir = await mkdtemp(path.join(os.tmpdir(), "omnimem-office-test-"));
  });

  afterAll(async () => {
    await rm(tempDir, { recursive: true, force: true });
  });

  async function throughLibreOffice(format: string, bytes: Uint8Array, name: string): Promise<{ output: ParseOutput; call: NestedParseCall }> {
    const scoped = new OfficeParser({ tempDir });
    const { context, calls } = recordingContext({
      depth: 1,
      handler: async (call) => ({ text: (await pdfText(call.bytes)) ?? "(pdf)", parser: "pdf/text-layer", provenance: [{ page: 1 }] }),
    });
    const output = await scoped.parse(input(format, bytes, name), context);
    expect(calls).toHaveLength(1);
    const call = calls[0] as NestedParseCall;
    // Every conversion cleans up after itself.
    expect(await readdir(tempDir)).toEqual([]);
    return { output, call };
  }

  it("finds soffice on PATH", () => {
    expect(parser.sofficePath).toBe(soffice);
  });

  it("converts a docx to PDF and hands it to the pdf path one level deeper", async () => {
    const { output, call } = await throughLibreOffice("docx", await docxWithText(["Minutes of the board", "The budget was approved."]), "minutes.docx");
    expect(call.name).toBe("minutes.docx.pdf");
    expect(call.depth).toBe(2);
    expect(Buffer.from(call.bytes.subarray(0, 5)).toString("latin1")).toBe("%PDF-");
    expect(output.parser).toBe("office/libreoffice");
    expect(output.provenance).toEqual([{ page: 1 }]);
    if (output.text !== "(pdf)") {
      expect(output.text).toContain("Minutes of the board");
      expect(output.text).toContain("The budget was approved.");
    }
  });

  it("reads a legacy xls as cells, through LibreOffice's xlsx export rather than a PDF print", async () => {
    const xlsx = await xlsxWithRows([{ name: "Pantry", rows: [["Item", "Count"], ["Food & drink supplies for the whole team", 3]] }]);
    // LibreOffice writes the legacy file for the test, then reads it back for the parser.
    const xls = await convertWithLibreOffice(xlsx, "xlsx", "xls", { sofficePath: soffice ?? "soffice", timeoutMs: 60_000, tempDir });
    expect(Array.from(xls.subarray(0, 4))).toEqual([0xd0, 0xcf, 0x11, 0xe0]);
    const { context, calls } = recordingContext();
    const output = await new OfficeParser({ tempDir }).parse(input("xls", xls, "pantry.xls"), context);
    expect(calls).toHaveLength(0);
    expect(output).toEqual({
      text: "--- sheet: Pantry ---\nItem\tCount\nFood & drink supplies for the whole team\t3",
      parser: "office/libreoffice-xlsx",
    });
    expect(await readdir(tempDir)).toEqual([]);
  });

  it("fetches nothing a document links: no request to a loopback server, no local file read in", async () => {
    const requests: string[] = [];
    const server = createServer((request, response) => {
      requests.push(`${request.method} ${request.url}`);
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const linked = await odtWithLinkedImage("Quarterly plan", `http://127.0.0.1:${port}/linked.png`);
      const { output } = await throughLibreOffice("odt", linked, "plan.odt");
      expect(output.parser).toBe("office/libreoffice");
      if (output.text !== "(pdf)") expect(output.text).toContain("Quarterly plan");
      expect(requests).toEqual([]);
      // A file:// image is not embedded either: the PDF is the same size as with no image at all.
      const picture = path.join(tempDir, "..", `linked-${port}.png`);
      await writeFile(picture, await imageWithText("SECRET PICTURE"));
      try {
        const withFile = await convertToPdf(await odtWithLinkedImage("Quarterly plan", pathToFileURL(picture).href), "odt", { sofficePath: soffice ?? "soffice", timeoutMs: 60_000, tempDir });
        const withNothing = await convertToPdf(await odtWithLinkedImage("Quarterly plan", pathToFileURL(`${picture}.missing`).href), "odt", { sofficePath: soffice ?? "soffice", timeoutMs: 60_000, tempDir });
        expect(withFile.byteLength).toBe(withNothing.byteLength);
      } finally {
        await rm(picture, { force: true });
      }
    } finally {
      server.close();
    }
  });

  it("converts an rtf the same way", async () => {
    const { output, call } = await throughLibreOffice("rtf", rtfWithText(["Travel plan", "Lisbon in May"]), "plan.rtf");
    expect(call.name).toBe("plan.rtf.pdf");
    expect(Buffer.from(call.bytes.subarray(0, 5)).toString("latin1")).toBe("%PDF-");
    if (output.text !== "(pdf)") expect(output.text).toContain("Lisbon in May");
  });
});

/** True when the process has exited (a zombie waiting for a reaper counts: it runs no more). */
async function isGone(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    return /^\d+ \(.*\) Z/.test(stat);
  } catch {
    return true;
  }
}

describe("convertToPdf", () => {
  let tempDir: string;

  beforeAll(async () => {
    tempDir = await mkdtemp(path.join(os.tmpdir(), "omnimem-office-test-"));
  });

  afterAll(async () => {
    await rm(tempDir, { recursive: true, force: true });
  });

  it("kills the whole process group when the time limit passes, and cleans up", async () => {
    // A stand-in for soffice that starts a helper and hangs, as a stuck LibreOffice does.
    const fake = path.join(tempDir, "fake-soffice.sh");
    const pidFile = path.join(tempDir, "helper.pid");
    await writeFile(fake, `#!/bin/sh\nPATH="/usr/bin:/bin:$PATH"\nsleep 30 &\necho $! > "${pidFile}"\nwait\n`);
    await chmod(fake, 0o755);
    const workRoot = path.join(tempDir, "work");
    await mkdir(workRoot);
    const started = Date.now();
    const failure = convertToPdf(new Uint8Array([1, 2, 3]), "docx", { sofficePath: fake, timeoutMs: 300, tempDir: workRoot });
    await expect(failure).rejects.toBeInstanceOf(UnsupportedFormatError);
    await expect(failure).rejects.toMatchObject({ details: { reason: "timeout", timeoutMs: 300 } });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await readdir(workRoot)).toEqual([]);
    const helper = Number.parseInt(await readFile(pidFile, "utf8"), 10);
    await expect.poll(() => isGone(helper), { timeout: 2000 }).toBe(true);
  });

  it("falls back to the built-in extractor when LibreOffice fails, for formats that have one", async () => {
    const broken = path.join(tempDir, "broken-soffice.sh");
    await writeFile(broken, "#!/bin/sh\necho 'Error: source file could not be loaded' >&2\nexit 0\n");
    await chmod(broken, 0o755);
    const parser = new OfficeParser({ sofficePath: broken });
    const { context } = recordingContext();
    expect(await parser.parse(input("docx", await docxWithText(["Still readable"])), context)).toEqual({
      text: "Still readable",
      parser: "office/docx",
    });
    const legacy = parser.parse(input("xls", new Uint8Array([0xd0, 0xcf, 0x11, 0xe0])), context);
    await expect(legacy).rejects.toBeInstanceOf(UnsupportedFormatError);
    // LibreOffice's own stderr goes to the logs through the cause, not into the caller's message.
    const refused = (await legacy.catch((caught: unknown) => caught)) as UnsupportedFormatError;
    expect(refused.message).toMatch(/^LibreOffice could not convert the xls file to xlsx/);
    expect(refused.message).not.toMatch(/source file could not be loaded/);
    expect((refused.cause as Error).message).toMatch(/source file could not be loaded/);
    const strict = new OfficeParser({ sofficePath: broken, fallbackToBuiltIn: false });
    await expect(strict.parse(input("docx", await docxWithText(["x"])), context)).rejects.toBeInstanceOf(UnsupportedFormatError);
  });

  it("adds a pptx's speaker notes and picture alt text, which its PDF print lacks, to LibreOffice's text", async () => {
    // A stand-in for soffice that "converts" by writing a PDF into --outdir (argument 11).
    const fake = path.join(tempDir, "printing-soffice.sh");
    await writeFile(fake, '#!/bin/sh\nmkdir -p "${11}" && printf "%%PDF-1.4 stand-in" > "${11}/document.pdf"\n');
    await chmod(fake, 0o755);
    const parser = new OfficeParser({ sofficePath: fake });
    const { context, calls } = recordingContext({ handler: () => ({ text: "Fleet\n\nNumbers\nUp 4%", parser: "pdf/text-layer" }) });
    const bytes = await pptxWithSlides([
      { title: "Fleet", pictures: [{ alt: "A red bicycle" }], notes: "Say the bike is a prototype" },
      { title: "Numbers", bullets: ["Up 4%"] },
      { title: "Close", notes: "Thank the team" },
    ]);
    const output = await parser.parse(input("pptx", bytes), context);
    expect(calls).toHaveLength(1);
    expect(output).toEqual({
      text:
        "Fleet\n\nNumbers\nUp 4%\n\n--- speaker notes and picture descriptions ---\n" +
        "--- slide 1 ---\n[image: A red bicycle]\nnotes: Say the bike is a prototype\n\n--- slide 3 ---\nnotes: Thank the team",
      parser: "office/libreoffice",
    });
    // Other formats' prints are taken as they are.
    const docx = await parser.parse(input("docx", await docxWithText(["x"])), context);
    expect(docx.text).toBe("Fleet\n\nNumbers\nUp 4%");
  });

  it("answers CAPABILITY_UNAVAILABLE when soffice cannot be started", async () => {
    const failure = convertToPdf(new Uint8Array([1]), "doc", { sofficePath: path.join(tempDir, "missing-soffice"), timeoutMs: 5000 });
    await expect(failure).rejects.toMatchObject({ code: "CAPABILITY_UNAVAILABLE", duringParse: true });
  });
});

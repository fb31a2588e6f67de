import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { PartType } from "../spec/types.js";
import { classifyCfb, classifyCfbNames, cfbTopLevelNames, readCfbDirectory } from "./cfb.js";
import { FORMAT_IDS, FORMATS, formatFromExtension, formatFromMediaType } from "./formats.js";
import { sniff, type SniffHints } from "./sniff.js";
import { looksLikeEml, looksLikeHtml, looksLikeSvg } from "./text-sniff.js";
import { classifyZip } from "./zip.js";

// ---- fixture builders (tiny, generated here; nothing is committed) ----

const ascii = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "latin1"));
const utf8 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "utf8"));

function concat(...parts: Array<Uint8Array | number[] | string>): Uint8Array {
  const arrays = parts.map((part) => (typeof part === "string" ? ascii(part) : part instanceof Uint8Array ? part : new Uint8Array(part)));
  const out = new Uint8Array(arrays.reduce((sum, array) => sum + array.length, 0));
  let offset = 0;
  for (const array of arrays) {
    out.set(array, offset);
    offset += array.length;
  }
  return out;
}

const u16 = (value: number): number[] => [value & 0xff, (value >>> 8) & 0xff];
const u32 = (value: number): number[] => [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
const u32be = (value: number): number[] => [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];

const CRC_TABLE = Array.from({ length: 256 }, (_, index) => {
  let crc = index;
  for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  return crc >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** A minimal ZIP: local headers, central directory, end record; entries stored or deflated. */
function buildZip(entries: Array<{ name: string; data: string; deflate?: boolean }>): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = ascii(entry.name);
    const raw = utf8(entry.data);
    const stored = entry.deflate ? new Uint8Array(deflateRawSync(raw)) : raw;
    const method = entry.deflate ? 8 : 0;
    const crc = crc32(raw);
    const common = [...u16(method), ...u16(0), ...u16(0), ...u32(crc), ...u32(stored.length), ...u32(raw.length), ...u16(name.length), ...u16(0)];
    const local = concat(u32(0x04034b50), u16(20), u16(0), common, name, stored);
    centrals.push(concat(u32(0x02014b50), u16(20), u16(20), u16(0), common, u16(0), u16(0), u16(0), u32(0), u32(offset), name));
    locals.push(local);
    offset += local.length;
  }
  const central = concat(...centrals);
  return concat(...locals, central, u32(0x06054b50), u16(0), u16(0), u16(entries.length), u16(entries.length), u32(central.length), u32(offset), u16(0));
}

interface CfbNode {
  name: string;
  children?: CfbNode[];
}

/** A minimal compound file (512-byte sectors): header, one FAT sector, a directory chain. */
function buildCfb(topLevel: CfbNode[]): Uint8Array {
  const NOSTREAM = 0xffffffff;
  const entries: Array<{ name: string; type: number; left: number; right: number; child: number }> = [
    { name: "Root Entry", type: 5, left: NOSTREAM, right: NOSTREAM, child: NOSTREAM },
  ];
  const addChildren = (parentIndex: number, children: CfbNode[]): void => {
    const indexes = children.map((child) => {
      entries.push({ name: child.name, type: child.children === undefined ? 2 : 1, left: NOSTREAM, right: NOSTREAM, child: NOSTREAM });
      return entries.length - 1;
    });
    const parent = entries[parentIndex];
    if (parent !== undefined && indexes[0] !== undefined) parent.child = indexes[0];
    indexes.forEach((index, position) => {
      const entry = entries[index];
      const next = indexes[position + 1];
      if (entry !== undefined && next !== undefined) entry.right = next;
      const node = children[position];
      if (node?.children !== undefined) addChildren(index, node.children);
    });
  };
  addChildren(0, topLevel);
  const dirSectors = Math.ceil(entries.length / 4);
  const header = new Uint8Array(512);
  header.set([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], 0);
  const view = new DataView(header.buffer);
  view.setUint16(24, 0x3e, true);
  view.setUint16(26, 3, true);
  view.setUint16(28, 0xfffe, true);
  view.setUint16(30, 9, true);
  view.setUint16(32, 6, true);
  view.setUint32(44, 1, true); // one FAT sector
  view.setUint32(48, 1, true); // directory starts at sector 1
  view.setUint32(56, 4096, true);
  view.setUint32(60, 0xfffffffe, true);
  view.setUint32(68, 0xfffffffe, true);
  for (let index = 0; index < 109; index++) view.setUint32(76 + index * 4, index === 0 ? 0 : NOSTREAM, true);
  const fat = new Uint8Array(512).fill(0xff);
  const fatView = new DataView(fat.buffer);
  fatView.setUint32(0, 0xfffffffd, true);
  for (let sector = 1; sector <= dirSectors; sector++) fatView.setUint32(sector * 4, sector === dirSectors ? 0xfffffffe : sector + 1, true);
  const directory = new Uint8Array(dirSectors * 512);
  const dirView = new DataView(directory.buffer);
  for (let index = 0; index < dirSectors * 4; index++) {
    const base = index * 128;
    const entry = entries[index];
    if (entry === undefined) {
      dirView.setUint32(base + 68, NOSTREAM, true);
      dirView.setUint32(base + 72, NOSTREAM, true);
      dirView.setUint32(base + 76, NOSTREAM, true);
      continue;
    }
    const name = Buffer.from(`${entry.name}\0`, "utf16le");
    directory.set(name.subarray(0, 64), base);
    dirView.setUint16(base + 64, Math.min(name.length, 64), true);
    directory[base + 66] = entry.type;
    directory[base + 67] = 1;
    dirView.setUint32(base + 68, entry.left, true);
    dirView.setUint32(base + 72, entry.right, true);
    dirView.setUint32(base + 76, entry.child, true);
  }
  return concat(header, fat, directory);
}

const FIXTURES = {
  png: () =>
    concat([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], u32be(13), "IHDR", u32be(1), u32be(1), [8, 6, 0, 0, 0], u32be(0), u32be(0), "IEND", u32be(0xae426082)),
  jpg: () => concat([0xff, 0xd8, 0xff, 0xe0], u16(0x1000).reverse(), "JFIF\0", [1, 1, 0, 0, 1, 0, 1, 0, 0], [0xff, 0xd9]),
  gif: () => concat("GIF89a", u16(1), u16(1), [0, 0, 0], ";"),
  webp: () => concat("RIFF", u32(20), "WEBPVP8 ", u32(8), new Uint8Array(8)),
  bmp: () => concat("BM", u32(58), u32(0), u32(54), u32(40), u32(1), u32(1), u16(1), u16(24), new Uint8Array(28)),
  tiff: () => concat("II*\0", u32(8), u16(1), u16(256), u16(3), u32(1), u32(1), u32(0)),
  pdf: () => ascii("%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"),
  mp3: () => concat("ID3", [4, 0, 0, 0, 0, 0, 0], [0xff, 0xfb, 0x90, 0x64], new Uint8Array(413)),
  wav: () => concat("RIFF", u32(36), "WAVEfmt ", u32(16), u16(1), u16(1), u32(8000), u32(16000), u16(2), u16(16), "data", u32(0)),
  m4a: () => concat(u32be(24), "ftypM4A ", u32be(0), "M4A isom", u32be(8), "free"),
  ogg: () => concat("OggS", [0, 2], new Uint8Array(8), u32(1), u32(0), u32(0), [1, 30], [1], "vorbis", u32(0), [1], u32(8000), new Uint8Array(13)),
  flac: () => concat("fLaC", [0x80, 0, 0, 34], new Uint8Array(34)),
  rtf: () => ascii("{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}} Hello}"),
  docx: () =>
    buildZip([
      { name: "[Content_Types].xml", data: '<?xml version="1.0"?><Types/>' },
      { name: "_rels/.rels", data: "<Relationships/>" },
      { name: "word/document.xml", data: "<w:document/>", deflate: true },
    ]),
  xlsx: () =>
    buildZip([
      { name: "[Content_Types].xml", data: "<Types/>" },
      { name: "xl/workbook.xml", data: "<workbook/>" },
    ]),
  pptx: () =>
    buildZip([
      { name: "[Content_Types].xml", data: "<Types/>" },
      { name: "ppt/presentation.xml", data: "<p:presentation/>" },
    ]),
  odt: () =>
    buildZip([
      { name: "mimetype", data: "application/vnd.oasis.opendocument.text" },
      { name: "content.xml", data: "<office:document-content/>" },
    ]),
  ods: () =>
    buildZip([
      { name: "mimetype", data: "application/vnd.oasis.opendocument.spreadsheet" },
      { name: "content.xml", data: "<x/>" },
    ]),
  odp: () =>
    buildZip([
      { name: "mimetype", data: "application/vnd.oasis.opendocument.presentation", deflate: true },
      { name: "content.xml", data: "<x/>" },
    ]),
  epub: () =>
    buildZip([
      { name: "mimetype", data: "application/epub+zip" },
      { name: "META-INF/container.xml", data: "<container/>", deflate: true },
      { name: "OEBPS/content.opf", data: "<package/>", deflate: true },
    ]),
  doc: () => buildCfb([{ name: "\u0001CompObj" }, { name: "WordDocument" }, { name: "1Table" }, { name: "\u0005SummaryInformation" }]),
  xls: () => buildCfb([{ name: "Workbook" }, { name: "\u0005SummaryInformation" }]),
  ppt: () => buildCfb([{ name: "Current User" }, { name: "PowerPoint Document" }, { name: "Pictures" }]),
  msg: () =>
    buildCfb([
      { name: "__nameid_version1.0", children: [{ name: "__substg1.0_00020102" }] },
      { name: "__substg1.0_0037001F" },
      { name: "__properties_version1.0" },
      { name: "__attach_version1.0_#00000000", children: [{ name: "__substg1.0_3701000D", children: [{ name: "WordDocument" }] }] },
    ]),
  html: () => utf8("<!DOCTYPE html>\n<html><head><title>t</title></head><body>hi</body></html>"),
  svg: () =>
    utf8(
      '<?xml version="1.0" encoding="UTF-8"?>\n<!-- made by hand -->\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>',
    ),
  eml: () =>
    utf8(
      "Received: from mx.example.com by mail.example.org\r\n\tfor <bob@example.org>; Tue, 1 Jul 2025 10:00:00 +0000\r\nFrom: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: Lunch\r\nDate: Tue, 1 Jul 2025 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee you at noon.\r\n",
    ),
  txt: () => utf8("Just some notes — with UTF-8 ✓.\n"),
  json: () => utf8('{"name": "omnimem", "tags": ["memory"]}'),
} satisfies Record<string, () => Uint8Array>;

const hints = (declaredType: PartType, extra: Omit<SniffHints, "declaredType"> = {}): SniffHints => ({ declaredType, ...extra });

// ---- tests ----

describe("FORMATS", () => {
  it("covers every format the parsers promise", () => {
    expect(FORMAT_IDS.sort()).toEqual(
      "bmp csv doc docx eml epub flac gif html jpg json m4a md mp3 msg odp ods odt ogg pdf png ppt pptx rtf svg tiff txt wav webp xls xlsx".split(" "),
    );
  });

  it("maps extensions and MIME types, aliases included", () => {
    expect(formatFromExtension(".JPEG")).toBe("jpg");
    expect(formatFromExtension("tif")).toBe("tiff");
    expect(formatFromExtension("htm")).toBe("html");
    expect(formatFromExtension("exe")).toBeUndefined();
    expect(formatFromMediaType("image/jpg")).toBe("jpg");
    expect(formatFromMediaType("audio/x-wav")).toBe("wav");
    expect(formatFromMediaType("Message/RFC822; charset=x")).toBe("eml");
    expect(formatFromMediaType("application/octet-stream")).toBeUndefined();
    expect(FORMATS.pptx.modality).toBe("doc");
    expect(formatFromExtension("epub")).toBe("epub");
    expect(formatFromMediaType("application/epub+zip")).toBe("epub");
  });
});

describe("sniff: every format from its bytes alone", () => {
  const expected: Record<keyof typeof FIXTURES, PartType> = {
    png: "image",
    jpg: "image",
    gif: "image",
    webp: "image",
    bmp: "image",
    tiff: "image",
    svg: "image",
    pdf: "pdf",
    mp3: "audio",
    wav: "audio",
    m4a: "audio",
    ogg: "audio",
    flac: "audio",
    rtf: "doc",
    docx: "doc",
    xlsx: "doc",
    pptx: "doc",
    odt: "doc",
    ods: "doc",
    odp: "doc",
    epub: "doc",
    doc: "doc",
    xls: "doc",
    ppt: "doc",
    msg: "email",
    eml: "email",
    html: "html",
    txt: "text",
    json: "text",
  };
  it.each(Object.keys(FIXTURES) as Array<keyof typeof FIXTURES>)("%s", async (format) => {
    // Declared as something else on purpose: the bytes must win.
    const declared: PartType = expected[format] === "image" ? "doc" : "image";
    const result = await sniff(FIXTURES[format](), hints(declared));
    expect(result).toEqual({ format, mediaType: FORMATS[format].mediaType, modality: expected[format] });
  });

  it("md and csv come from the extension or MIME type of text bytes", async () => {
    expect((await sniff(utf8("# Title\n\ntext"), hints("text", { ext: "md" })))?.format).toBe("md");
    expect((await sniff(utf8("a,b\n1,2\n"), hints("doc", { name: "table.CSV" })))?.format).toBe("csv");
    expect((await sniff(utf8("a,b\n1,2\n"), hints("doc", { mediaType: "text/csv; charset=utf-8" })))?.format).toBe("csv");
  });
});

describe("sniff: precedence (bytes > ext > MIME > declared type)", () => {
  it("an item declared image that is a PDF comes back as pdf", async () => {
    expect(await sniff(FIXTURES.pdf(), hints("image", { ext: "png", mediaType: "image/png", name: "photo.png" }))).toEqual({
      format: "pdf",
      mediaType: "application/pdf",
      modality: "pdf",
    });
  });

  it("content-recognised text formats beat the extension", async () => {
    expect((await sniff(FIXTURES.html(), hints("text", { ext: "txt" })))?.format).toBe("html");
    expect((await sniff(FIXTURES.json(), hints("text", { ext: "md" })))?.format).toBe("json");
  });

  it("ext beats MIME, MIME beats the declared type for plain text", async () => {
    const text = utf8("plain words");
    expect((await sniff(text, hints("html", { ext: "md", mediaType: "text/csv" })))?.format).toBe("md");
    expect((await sniff(text, hints("html", { mediaType: "text/csv" })))?.format).toBe("csv");
    expect((await sniff(text, hints("html")))?.format).toBe("html");
    expect((await sniff(text, hints("email")))?.format).toBe("eml");
    expect((await sniff(text, hints("image")))).toEqual({ format: "txt", mediaType: "text/plain", modality: "text" });
  });

  it("json only when it parses", async () => {
    expect((await sniff(utf8("{not json"), hints("text", { ext: "json" })))?.format).toBe("txt");
    expect((await sniff(utf8("42"), hints("text")))?.format).toBe("txt");
  });

  it("unrecognised binary falls back to ext, then MIME, never to a text format", async () => {
    const garbage = new Uint8Array([0x00, 0x13, 0x37, 0x00, 0xfe, 0x01, 0x02, 0x03, 0x04]);
    expect((await sniff(garbage, hints("image", { ext: "png" })))?.format).toBe("png");
    expect((await sniff(garbage, hints("audio", { mediaType: "audio/mpeg" })))?.format).toBe("mp3");
    expect(await sniff(garbage, hints("image"))).toBeUndefined();
    expect(await sniff(garbage, hints("text", { ext: "txt" }))).toBeUndefined();
    expect(await sniff(new Uint8Array(), hints("image"))).toBeUndefined();
  });

  it("a container whose member is unknown is told by its hints, within its family", async () => {
    const otherCfb = buildCfb([{ name: "SomethingElse" }]);
    expect((await sniff(otherCfb, hints("doc", { ext: "doc" })))?.format).toBe("doc");
    expect(await sniff(otherCfb, hints("doc", { ext: "pdf" }))).toBeUndefined();
    expect(await sniff(otherCfb, hints("doc"))).toBeUndefined();
    const plainZip = buildZip([{ name: "readme.txt", data: "hi" }]);
    expect((await sniff(plainZip, hints("doc", { ext: "xlsx" })))?.format).toBe("xlsx");
    expect(await sniff(plainZip, hints("doc"))).toBeUndefined();
    const mp4 = concat(u32be(24), "ftypisom", u32be(0), "isomiso2", u32be(8), "free");
    expect((await sniff(mp4, hints("audio", { ext: "m4a" })))?.format).toBe("m4a");
    expect(await sniff(mp4, hints("audio"))).toBeUndefined();
  });

  it("a recognised format we do not parse is not overridden by hints", async () => {
    const elf = concat([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], new Uint8Array(56));
    expect(await sniff(elf, hints("pdf", { ext: "pdf", mediaType: "application/pdf" }))).toBeUndefined();
  });
});

describe("CFB directory", () => {
  it("reads the directory and its top-level names", () => {
    const entries = readCfbDirectory(FIXTURES.msg());
    expect(entries?.[0]?.name).toBe("Root Entry");
    expect(cfbTopLevelNames(entries ?? [])).toEqual(
      expect.arrayContaining(["__nameid_version1.0", "__substg1.0_0037001F", "__properties_version1.0", "__attach_version1.0_#00000000"]),
    );
    expect(cfbTopLevelNames(entries ?? [])).not.toContain("WordDocument");
  });

  it("classifies by names", () => {
    expect(classifyCfbNames(["WordDocument", "1Table"])).toBe("doc");
    expect(classifyCfbNames(["Workbook"])).toBe("xls");
    expect(classifyCfbNames(["Book"])).toBe("xls");
    expect(classifyCfbNames(["PowerPoint Document"])).toBe("ppt");
    expect(classifyCfbNames(["__substg1.0_0E04001F"])).toBe("msg");
    expect(classifyCfbNames(["__properties_version1.0", "WordDocument"])).toBe("msg");
    expect(classifyCfbNames(["Foo"])).toBeUndefined();
  });

  it("uses top-level names: an .xls with an embedded Word object stays xls", () => {
    const xls = buildCfb([{ name: "Workbook" }, { name: "MBD0001", children: [{ name: "WordDocument" }] }]);
    expect(classifyCfb(xls)).toBe("xls");
  });

  it("spans a directory over several sectors", () => {
    const many = buildCfb([...Array.from({ length: 9 }, (_, index) => ({ name: `Stream${index}` })), { name: "PowerPoint Document" }]);
    expect(classifyCfb(many)).toBe("ppt");
  });

  it("falls back to scanning for stream names when the directory chain is broken", () => {
    const broken = FIXTURES.doc();
    new DataView(broken.buffer).setUint32(48, 0x7ffffff0, true);
    expect(readCfbDirectory(broken)).toBeUndefined();
    expect(classifyCfb(broken)).toBe("doc");
  });

  it("survives a directory chain that loops", () => {
    const looping = FIXTURES.xls();
    new DataView(looping.buffer).setUint32(512 + 4, 1, true); // sector 1 → sector 1
    expect(classifyCfb(looping)).toBe("xls");
  });
});

describe("ZIP classification", () => {
  it("tells OOXML and ODF packages apart", () => {
    expect(classifyZip(FIXTURES.docx())).toBe("docx");
    expect(classifyZip(FIXTURES.xlsx())).toBe("xlsx");
    expect(classifyZip(FIXTURES.pptx())).toBe("pptx");
    expect(classifyZip(FIXTURES.odt())).toBe("odt");
    expect(classifyZip(FIXTURES.ods())).toBe("ods");
    expect(classifyZip(FIXTURES.odp())).toBe("odp");
    expect(classifyZip(FIXTURES.epub())).toBe("epub");
    expect(classifyZip(buildZip([{ name: "a.txt", data: "x" }]))).toBeUndefined();
  });

  it("reads a truncated archive from its local headers", () => {
    const docx = FIXTURES.docx();
    expect(classifyZip(docx.subarray(0, docx.length - 100))).toBe("docx");
  });
});

describe("text checks", () => {
  it("finds HTML and SVG after BOM, whitespace, prolog and comments", () => {
    expect(looksLikeHtml("\uFEFF  <!-- hi -->\n<html lang=en>")).toBe(true);
    expect(looksLikeHtml('<?xml version="1.0"?><!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x"><html>')).toBe(true);
    expect(looksLikeHtml("<div>not a document</div>")).toBe(false);
    expect(looksLikeSvg('<!-- a --><svg viewBox="0 0 1 1"></svg>')).toBe(true);
    expect(looksLikeSvg("<!DOCTYPE svg [ <!ENTITY x '>'> ]><svg/>")).toBe(true);
    expect(looksLikeSvg("<?xml version='1.0'?><root/>")).toBe(false);
  });

  it("recognises an email by its header block", () => {
    expect(looksLikeEml("From: a@example.com\nSubject: hi\n\nbody")).toBe(true);
    expect(looksLikeEml("From someone@example.com Tue Jul  1 10:00:00 2025\nFrom: a@example.com\nTo: b@example.com\n\nbody")).toBe(true);
    expect(looksLikeEml("Title: notes\nAuthor: me\n\nbody")).toBe(false);
    expect(looksLikeEml("Subject: hi\nDate: today\n\nbody")).toBe(false); // no header only a message has
    expect(looksLikeEml("From: a@example.com\nTo: b@example.com")).toBe(false); // no blank line
    expect(looksLikeEml("Dear Bob,\nFrom: me\n\n")).toBe(false);
    expect(looksLikeEml('Content-Type: multipart/mixed;\n\tboundary="b"\n\n--b\nContent-Type: text/plain\n\nhi\n--b--\n')).toBe(true);
    expect(looksLikeEml("Content-Type: text/plain\n\nhi")).toBe(false);
  });

  it("does not call text with NULs or invalid UTF-8 text", async () => {
    expect(await sniff(new Uint8Array([0x68, 0x69, 0x00, 0x68]), hints("text", { ext: "txt" }))).toBeUndefined();
    expect(await sniff(new Uint8Array([0x68, 0xc3, 0x28]), hints("text", { ext: "txt" }))).toBeUndefined();
  });
});

describe("robustness", () => {
  it("never throws on truncated or corrupted fixtures", async () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    for (const build of Object.values(FIXTURES)) {
      const original = build();
      for (let round = 0; round < 40; round++) {
        const bytes = original.slice(0, 1 + Math.floor(random() * original.length));
        for (let flips = 0; flips < 1 + Math.floor(random() * 8); flips++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
        const result = await sniff(bytes, hints("doc", { ext: "docx" }));
        if (result !== undefined) expect(FORMAT_IDS).toContain(result.format);
        classifyCfb(bytes);
        classifyZip(bytes);
      }
    }
  });
});

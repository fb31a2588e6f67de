/**
 * Slide text of a .pptx without LibreOffice: slides in presentation order (from
 * ppt/presentation.xml and its relationships), each as "--- slide N ---" and, in the order the
 * slide lists them, its paragraphs (`<a:p>` with `<a:t>` runs), its pictures' alt text
 * ("[image: ...]") and its charts' titles ("[chart: ...]"), then the speaker notes when there
 * are any.
 */
import type JSZip from "jszip";
import path from "node:path";

import { UnsupportedFormatError } from "../../spec/errors.js";
import { decodeXmlEntities, openZipPackage, readZipText, tidyText, xmlAttribute } from "./zip-package.js";

interface SlideContent {
  /** Paragraphs, "[image: alt]" and "[chart: title]" lines in document order. */
  lines: string[];
  /** The "[image: alt]" lines alone. */
  pictures: string[];
  notes: string;
}

export async function extractPptxText(bytes: Uint8Array): Promise<string> {
  const slides = await readSlides(bytes);
  const sections = slides.map((slide, index) => {
    let section = `--- slide ${index + 1} ---\n${slide.lines.join("\n")}`;
    if (slide.notes.length > 0) section += `\nnotes: ${slide.notes}`;
    return section;
  });
  return tidyText(sections.join("\n\n"));
}

/**
 * What a printed (PDF) slide does not show: its pictures' alt text and its speaker notes, per
 * slide in slide order; "" when there are none. Added to LibreOffice's PDF text of a pptx.
 */
export async function extractPptxUnprintedText(bytes: Uint8Array): Promise<string> {
  const slides = await readSlides(bytes);
  const sections: string[] = [];
  for (const [index, slide] of slides.entries()) {
    const lines = [...slide.pictures, ...(slide.notes.length > 0 ? [`notes: ${slide.notes}`] : [])];
    if (lines.length > 0) sections.push(`--- slide ${index + 1} ---\n${lines.join("\n")}`);
  }
  return tidyText(sections.join("\n\n"));
}

async function readSlides(bytes: Uint8Array): Promise<SlideContent[]> {
  const zip = await openZipPackage(bytes, "pptx");
  const slides = await slidePaths(zip);
  if (slides.length === 0 && zip.file("ppt/presentation.xml") === null) {
    throw new UnsupportedFormatError("The pptx file has no ppt/presentation.xml: not a PowerPoint presentation");
  }
  const contents: SlideContent[] = [];
  for (const slidePath of slides) {
    const xml = (await readZipText(zip, slidePath)) ?? "";
    const { lines, pictures } = await slideText(zip, slidePath, xml);
    const notesPath = await relatedPart(zip, slidePath, "notesSlide");
    const notes = notesPath === undefined ? "" : drawingMLText(await readNotesBody(zip, notesPath));
    contents.push({ lines, pictures, notes });
  }
  return contents;
}

/**
 * A slide's paragraphs, picture alt text and chart titles in document order: what a reader of
 * the slide sees, including what is only in a picture or a chart.
 */
async function slideText(zip: JSZip, slidePath: string, xml: string): Promise<Pick<SlideContent, "lines" | "pictures">> {
  let relationships: Map<string, string> | undefined;
  const lines: string[] = [];
  const pictures: string[] = [];
  for (const match of xml.matchAll(/<p:pic\b[\s\S]*?<\/p:pic>|<(?:[\w-]+:)?chart\b[^>]*?\/?>|<a:p\b[^>]*?(?:\/>|>[\s\S]*?<\/a:p>)/g)) {
    const element = match[0];
    if (element.startsWith("<p:pic")) {
      const alt = pictureAltText(element);
      if (alt !== undefined) {
        lines.push(`[image: ${alt}]`);
        pictures.push(`[image: ${alt}]`);
      }
    } else if (element.startsWith("<a:p")) {
      const text = drawingMLText(element);
      if (text.length > 0) lines.push(text);
    } else {
      const id = xmlAttribute(element, "r:id");
      if (id === undefined) continue;
      relationships ??= await readRelationships(zip, slidePath);
      const chartPath = relationships.get(id);
      const title = chartPath === undefined ? undefined : chartTitle((await readZipText(zip, chartPath)) ?? "");
      if (title !== undefined) lines.push(`[chart: ${title}]`);
    }
  }
  return { lines, pictures };
}

/** `descr` (the alt text PowerPoint writes), else the `title` attribute, of the picture's `p:cNvPr`. */
function pictureAltText(picture: string): string | undefined {
  const properties = /<p:cNvPr\b([^>]*)>/.exec(picture)?.[1] ?? "";
  const alt = (xmlAttribute(properties, "descr") ?? xmlAttribute(properties, "title"))?.replace(/\s+/g, " ").trim();
  return alt === undefined || alt.length === 0 ? undefined : alt;
}

/** The chart's own title (the `c:title` before the plot area; axis titles sit inside it), as rich text or a cached cell value. */
function chartTitle(chartXml: string): string | undefined {
  const beforePlotArea = chartXml.split(/<c:plotArea\b/, 1)[0] ?? "";
  const title = /<c:title\b[^>]*>([\s\S]*?)<\/c:title>/.exec(beforePlotArea)?.[1];
  if (title === undefined) return undefined;
  let text = drawingMLText(title).replace(/\s+/g, " ").trim();
  if (text.length === 0) text = decodeXmlEntities(/<c:v>([\s\S]*?)<\/c:v>/.exec(title)?.[1] ?? "").trim();
  return text.length > 0 ? text : undefined;
}

/** The slide parts in the order the presentation lists them; by number when that list is missing. */
async function slidePaths(zip: JSZip): Promise<string[]> {
  const presentation = await readZipText(zip, "ppt/presentation.xml");
  const relationships = await readRelationships(zip, "ppt/presentation.xml");
  const ordered: string[] = [];
  if (presentation !== undefined) {
    for (const match of presentation.matchAll(/<p:sldId\b([^>]*)>/g)) {
      const id = xmlAttribute(match[1] ?? "", "r:id");
      const target = id === undefined ? undefined : relationships.get(id);
      if (target !== undefined && zip.file(target) !== null) ordered.push(target);
    }
  }
  if (ordered.length > 0) return ordered;
  return Object.keys(zip.files)
    .filter((name) => /^ppt\/slides\/slide\d+\.xml$/.test(name))
    .sort((a, b) => slideNumber(a) - slideNumber(b));
}

function slideNumber(name: string): number {
  return Number.parseInt(/(\d+)\.xml$/.exec(name)?.[1] ?? "0", 10);
}

/** Relationship id → package path of the target, for the part at `partPath`. */
async function readRelationships(zip: JSZip, partPath: string): Promise<Map<string, string>> {
  const directory = path.posix.dirname(partPath);
  const relsPath = path.posix.join(directory, "_rels", `${path.posix.basename(partPath)}.rels`);
  const xml = await readZipText(zip, relsPath);
  const map = new Map<string, string>();
  if (xml === undefined) return map;
  for (const match of xml.matchAll(/<Relationship\b([^>]*)>/g)) {
    const attributes = match[1] ?? "";
    const id = xmlAttribute(attributes, "Id");
    const target = xmlAttribute(attributes, "Target");
    if (id === undefined || target === undefined || xmlAttribute(attributes, "TargetMode") === "External") continue;
    const resolved = target.startsWith("/") ? target.slice(1) : path.posix.normalize(path.posix.join(directory, target));
    map.set(id, resolved);
    const type = xmlAttribute(attributes, "Type");
    if (type !== undefined) map.set(`type:${type.slice(type.lastIndexOf("/") + 1)}`, resolved);
  }
  return map;
}

async function relatedPart(zip: JSZip, partPath: string, typeSuffix: string): Promise<string | undefined> {
  const target = (await readRelationships(zip, partPath)).get(`type:${typeSuffix}`);
  return target !== undefined && zip.file(target) !== null ? target : undefined;
}

/** The notes page's body placeholder only: the other shapes repeat the slide image and its number. */
async function readNotesBody(zip: JSZip, notesPath: string): Promise<string> {
  const xml = (await readZipText(zip, notesPath)) ?? "";
  const shapes = [...xml.matchAll(/<p:sp\b[\s\S]*?<\/p:sp>/g)].map((match) => match[0]);
  return shapes.filter((shape) => /<p:ph\b[^>]*type="body"/.test(shape)).join("");
}

/** Paragraph text of DrawingML: runs joined, `<a:br/>` as a line break, one line per paragraph. */
export function drawingMLText(xml: string): string {
  const paragraphs: string[] = [];
  for (const match of xml.matchAll(/<a:p\b[^>]*?(?:\/>|>([\s\S]*?)<\/a:p>)/g)) {
    const body = match[1] ?? "";
    let text = "";
    for (const piece of body.matchAll(/<a:t\b[^>]*?(?:\/>|>([\s\S]*?)<\/a:t>)|<a:br\b[^>]*\/>|<a:tab\b[^>]*\/>/g)) {
      const tag = piece[0];
      if (tag.startsWith("<a:br")) text += "\n";
      else if (tag.startsWith("<a:tab")) text += "\t";
      else text += decodeXmlEntities(piece[1] ?? "");
    }
    if (text.trim().length > 0) paragraphs.push(text);
  }
  return paragraphs.join("\n");
}

/** Small helpers for showing memories: owners, dates, the file labels parsed text carries. */
import type { AtomicFactWire, EpisodeWire, Owner, SourcePartWire } from "./api.js";

export interface OwnerRef {
  type: "user" | "agent";
  id: string;
}

export function ownerFields(owner: OwnerRef): Owner {
  return owner.type === "user" ? { user_id: owner.id } : { agent_id: owner.id };
}

export function ownerLabel(owner: OwnerRef): string {
  return `${owner.type} ${owner.id}`;
}

/** "2026-05-28 11:30" in the viewer's time zone. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function dayOf(iso: string): string {
  return formatTime(iso).slice(0, 10);
}

export function memoryText(memory: EpisodeWire | AtomicFactWire): string {
  return memory.kind === "episode" ? memory.episode : memory.content;
}

/**
 * A part parsed from a file enters the turn's text under a label the server writes
 * (`[image: receipt.png]`, `[pdf (sent as doc): report.pdf]`), so search and extraction know
 * what it was. The labels tell which files an episode holds and where each one's text starts.
 */
export interface SourcePart {
  modality: string;
  sentAs?: string;
  name?: string;
  text: string;
}

// A verbatim turn starts with its speaker ("ada (user): [image: receipt.png]"): the label ends the line.
const LABEL = /^(.*?)\[(image|pdf|audio|doc|html|email|text)(?: \(sent as (\w+)\))?(?:: ([^\]\n]+))?\]$/;

export function sourceParts(text: string): { before: string; parts: SourcePart[] } {
  const lines = text.split("\n");
  const parts: SourcePart[] = [];
  const before: string[] = [];
  let current: SourcePart | undefined;
  for (const line of lines) {
    const match = LABEL.exec(line);
    if (match !== null) {
      if (match[1]!.trim() !== "") before.push(match[1]!.trim());
      current = { modality: match[2]!, text: "" };
      if (match[3] !== undefined) current.sentAs = match[3];
      if (match[4] !== undefined) current.name = match[4];
      parts.push(current);
    } else if (current !== undefined) {
      current.text += current.text === "" ? line : `\n${line}`;
    } else {
      before.push(line);
    }
  }
  for (const part of parts) part.text = part.text.trim();
  return { before: before.join("\n").trim(), parts };
}

/** A file of a memory: its label and text from the memory's text, and what the server keeps about it (parser, model). */
export interface SourceFile {
  modality: string;
  sentAs?: string;
  name?: string;
  /** The file's text, when the memory's text holds it under a label (turns stored as they are). */
  text?: string;
  source?: SourcePartWire;
}

/**
 * Pairs the labelled parts of a memory's text with the source parts the server keeps for it, in
 * order, by name and type. A source part with no label in the text (an extracted episode's
 * narrative does not quote its files) is listed after them, without text.
 */
export function sourceFiles(text: string, sources: readonly SourcePartWire[] = []): SourceFile[] {
  const unmatched = [...sources];
  const files: SourceFile[] = sourceParts(text).parts.map((part) => {
    const index = unmatched.findIndex((source) => source.type === part.modality && source.name === part.name);
    const file: SourceFile = { ...part };
    if (index >= 0) file.source = unmatched.splice(index, 1)[0]!;
    return file;
  });
  for (const source of unmatched) {
    const file: SourceFile = { modality: source.type, source };
    if (source.name !== undefined) file.name = source.name;
    files.push(file);
  }
  return files;
}

const PARSER_STEPS: Readonly<Record<string, string>> = {
  ocr: "OCR",
  vision: "vision model",
  "text-layer": "text layer",
  transcription: "transcription",
  pocketsphinx: "speech recognition",
  markdown: "to markdown",
  libreoffice: "LibreOffice",
  "libreoffice-xlsx": "LibreOffice",
  utf8: "UTF-8 text",
  json: "JSON",
  eml: "e-mail (eml)",
  msg: "e-mail (Outlook msg)",
};

/**
 * Which parser read a file, for people: "image/ocr" with model "tesseract.js" is
 * "OCR (tesseract.js)", "pdf/text-layer+ocr" is "PDF text layer + OCR". A parser this page does
 * not know is shown by its id.
 */
export function parserLabel(source: Pick<SourcePartWire, "parser" | "model">): string {
  const [family = "", method = ""] = source.parser.split("/", 2);
  const steps = method.split("+").map((step) => PARSER_STEPS[step] ?? (family === "office" ? `${step} extractor` : undefined));
  let label = steps.includes(undefined) || method === "" ? source.parser : steps.join(" + ");
  if (family === "pdf" && label.startsWith("text layer")) label = `PDF ${label}`;
  if (family === "html" || family === "epub") label = `${family.toUpperCase()} ${label}`;
  return source.model === undefined ? label : `${label} (${source.model})`;
}

/** The content-item type for a file the user drops, from its name and media type. */
export function itemTypeOf(file: { name: string; type: string }): "image" | "pdf" | "audio" | "doc" | "html" | "email" | "text" {
  const ext = extensionOf(file.name);
  if (file.type.startsWith("image/")) return "image";
  if (file.type.startsWith("audio/")) return "audio";
  if (ext === "pdf" || file.type === "application/pdf") return "pdf";
  if (ext === "html" || ext === "htm" || file.type === "text/html") return "html";
  if (ext === "eml" || ext === "msg" || file.type === "message/rfc822") return "email";
  if (["png", "jpg", "jpeg", "gif", "webp", "bmp", "tif", "tiff"].includes(ext)) return "image";
  if (["mp3", "wav", "ogg", "m4a", "flac", "webm"].includes(ext)) return "audio";
  return "doc";
}

export function extensionOf(name: string): string {
  const match = /\.([A-Za-z0-9]{1,8})$/.exec(name);
  return match?.[1]?.toLowerCase() ?? "";
}

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}

export function formatScore(score: number | undefined): string {
  return score === undefined ? "" : score.toFixed(3);
}

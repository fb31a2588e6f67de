/**
 * RFC 822 / MIME e-mail (.eml) through mailparser. mailparser refuses a whole message with more
 * MIME parts than its splitter's limit; such a message is cut before the part that passes the
 * limit and read again, so its headers, body and first attachments survive, and the parts left
 * out are named in the output's warnings.
 */
import type { AddressObject, ParsedMail, simpleParser } from "mailparser";

import { UnsupportedFormatError } from "../../spec/errors.js";
import type { ParseContext, ParseInput, ParseOutput, Parser } from "../../spec/parser.js";
import { DEFAULT_MAX_EMAIL_NESTING_DEPTH, renderEmail, type EmailContent, type EmailParserOptions } from "./email-render.js";

export class EmlParser implements Parser {
  readonly name = "email/eml";
  readonly formats: readonly string[] = ["eml"];

  private readonly maxNestingDepth: number;
  private readonly maxMimeParts: number;

  constructor(options: EmailParserOptions = {}) {
    this.maxNestingDepth = options.maxNestingDepth ?? DEFAULT_MAX_EMAIL_NESTING_DEPTH;
    this.maxMimeParts = options.maxMimeParts ?? DEFAULT_MAX_MIME_PARTS;
    if (!Number.isInteger(this.maxMimeParts) || this.maxMimeParts < 2) {
      throw new RangeError(`maxMimeParts must be an integer >= 2, got ${String(options.maxMimeParts)}`);
    }
  }

  async parse(input: ParseInput, context: ParseContext): Promise<ParseOutput> {
    const email = await decodeEml(input.bytes, this.maxMimeParts);
    return renderEmail(email, context, "email/eml", this.maxNestingDepth);
  }
}

/** mailsplit's own default: MIME nodes (the message itself included) read from one message. */
export const DEFAULT_MAX_MIME_PARTS = 1000;

/** Decodes an .eml into the shared e-mail shape. */
export async function decodeEml(bytes: Uint8Array, maxMimeParts: number = DEFAULT_MAX_MIME_PARTS): Promise<EmailContent> {
  const source = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let parsed: ParsedMail;
  const omitted: string[] = [];
  try {
    // A message that visibly opens more parts than the limit is not read to the limit twice.
    const delimiters = countUpTo(source, "\n--", maxMimeParts);
    if (delimiters >= maxMimeParts && delimiterLineOffsets(source).length >= maxMimeParts) throw partLimitError();
    parsed = await parseMime(source, maxMimeParts);
  } catch (error) {
    if (!isPartLimitError(error)) throw new UnsupportedFormatError("The e-mail could not be parsed as MIME", { cause: error });
    const cut = await parseFirstParts(source, maxMimeParts, error);
    parsed = cut.parsed;
    omitted.push(
      `${cut.omittedParts} of ${cut.totalParts} MIME parts were left out: the email has more than the limit of ${maxMimeParts} parts, so only the first ones were read`,
    );
  }
  if (parsed.headers.size === 0 && parsed.text === undefined && parsed.html === false && parsed.attachments.length === 0) {
    throw new UnsupportedFormatError("The file has no e-mail headers or body");
  }
  return {
    from: addresses(parsed.from),
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    date: parsed.date,
    subject: parsed.subject,
    text: parsed.text,
    html: typeof parsed.html === "string" ? parsed.html : undefined,
    attachments: parsed.attachments.map((attachment) => ({
      filename: attachment.filename,
      contentType: attachment.contentType,
      content: new Uint8Array(attachment.content.buffer, attachment.content.byteOffset, attachment.content.byteLength),
      inline: attachment.related || attachment.contentDisposition === "inline",
    })),
    ...(omitted.length > 0 ? { omitted } : {}),
  };
}

async function parseMime(source: Buffer, maxMimeParts: number): Promise<ParsedMail> {
  // mailparser (with html-to-text and iconv tables) is imported on the first email, not at startup.
  const { simpleParser: parse } = await import("mailparser");
  return parse(source, {
    // Keep the sender's own text part apart from the HTML one: no text made from HTML, no
    // HTML made from text, and cid: links left alone instead of inlined as data: URIs.
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipImageLinks: true,
    skipTextLinks: true,
    keepCidLinks: true,
    // Passed through to mailsplit's splitter (not in mailparser's types).
    maxChildNodes: maxMimeParts,
  } as Parameters<typeof simpleParser>[1]);
}

function partLimitError(): Error {
  return Object.assign(new Error("Max allowed child nodes exceeded"), { code: "EMAXLEN" });
}

/** Occurrences of `needle` in `source`, counting no further than `limit` (a cheap first look). */
function countUpTo(source: Buffer, needle: string, limit: number): number {
  let count = 0;
  for (let at = source.indexOf(needle); at >= 0 && count < limit; at = source.indexOf(needle, at + needle.length)) count++;
  return count;
}

/** mailsplit's "Max allowed child nodes exceeded" (code EMAXLEN; the header size limit shares the code). */
function isPartLimitError(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === "EMAXLEN" && /child nodes/i.test(error.message);
}

/**
 * Reads the message cut just before a multipart delimiter line, keeping as many parts as the
 * limit allows (fewer when nested messages add parts of their own), so that what comes first —
 * the headers, the body, the first attachments — is kept.
 */
async function parseFirstParts(
  source: Buffer,
  maxMimeParts: number,
  limitError: unknown,
): Promise<{ parsed: ParsedMail; omittedParts: number; totalParts: number }> {
  const delimiters = delimiterLineOffsets(source);
  // The message itself is one node; each delimiter line opens another.
  for (let keep = Math.min(maxMimeParts - 1, delimiters.length - 1); keep >= 1; keep = Math.floor(keep / 2)) {
    try {
      const parsed = await parseMime(source.subarray(0, delimiters[keep]), maxMimeParts);
      return { parsed, omittedParts: delimiters.length - keep, totalParts: delimiters.length };
    } catch (error) {
      if (!isPartLimitError(error)) throw new UnsupportedFormatError("The e-mail could not be parsed as MIME", { cause: error });
    }
  }
  throw new UnsupportedFormatError(`The e-mail has more MIME parts than the limit of ${maxMimeParts}`, {
    cause: limitError,
    details: { maxMimeParts },
  });
}

/** Byte offsets of the lines that open a MIME part (`--boundary`, not the closing `--boundary--`) for every boundary the message declares. */
function delimiterLineOffsets(source: Buffer): number[] {
  const text = source.toString("latin1");
  const boundaries = new Set<string>();
  for (const match of text.matchAll(/\bboundary\s*=\s*(?:"([^"\r\n]+)"|([^\s;"]+))/gi)) {
    const boundary = match[1] ?? match[2];
    if (boundary !== undefined && boundary.length > 0) boundaries.add(boundary);
  }
  const offsets: number[] = [];
  for (const match of text.matchAll(/^--([^\r\n]*)$/gm)) {
    const rest = (match[1] ?? "").trimEnd();
    for (const boundary of boundaries) {
      if (rest.startsWith(boundary) && !rest.slice(boundary.length).startsWith("--")) {
        offsets.push(match.index);
        break;
      }
    }
  }
  return offsets;
}

function addresses(value: AddressObject | AddressObject[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : [value];
  const text = list
    .map((entry) => entry.text)
    .filter((entry) => entry.length > 0)
    .join(", ");
  return text.length > 0 ? text : undefined;
}

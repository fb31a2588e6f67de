/**
 * What eml and msg have in common once decoded: the header block, the body (plain text, or
 * HTML turned into markdown) and every attachment (inline images included) parsed through the
 * registry via `context.parseNested`, within count, size and nesting limits. An attachment
 * that is skipped or fails to parse is named in the text with the reason; it never fails the
 * email.
 */
import path from "node:path";

import { isOmnimemError } from "../../spec/errors.js";
import type { ParseContext, ParseOutput } from "../../spec/parser.js";
import type { Provenance } from "../../spec/types.js";
import { withTitle } from "../html/html-parser.js";
import { htmlToMarkdown } from "../html/html-to-markdown.js";

export interface EmailAttachmentContent {
  filename: string | undefined;
  contentType: string | undefined;
  content: Uint8Array;
  /** An inline part (an image the HTML body shows) rather than an attachment proper. */
  inline: boolean;
}

/** An e-mail decoded from either container format. */
export interface EmailContent {
  from?: string | undefined;
  to?: string | undefined;
  cc?: string | undefined;
  date?: Date | string | undefined;
  subject?: string | undefined;
  /** The plain-text body the sender wrote, when there is one. */
  text?: string | undefined;
  /** The HTML body; used when there is no plain-text body. */
  html?: string | undefined;
  attachments: EmailAttachmentContent[];
  /** Said when the container held more than was read (MIME parts past the parser's limit). */
  omitted?: string[];
}

/** Attachments of an email at depth d are parsed at d + 1; past this depth they are only listed. */
export const DEFAULT_MAX_EMAIL_NESTING_DEPTH = 3;

export interface EmailParserOptions {
  /** Deepest level at which attachments are still parsed (an email in an email in an email ...). Default 3. */
  maxNestingDepth?: number;
  /** MIME parts read from an .eml; past them the rest is left out and said. Default 1000 (mailsplit's own limit). */
  maxMimeParts?: number;
}

export async function renderEmail(
  email: EmailContent,
  context: ParseContext,
  parser: string,
  maxNestingDepth: number = DEFAULT_MAX_EMAIL_NESTING_DEPTH,
): Promise<ParseOutput> {
  const sections: string[] = [];
  const headers = headerBlock(email);
  if (headers.length > 0) sections.push(headers);
  const body = emailBody(email);
  if (body.length > 0) sections.push(body);

  const provenance: Provenance[] = [];
  const warnings = [...(email.omitted ?? [])];
  const usedNames = new Set<string>();
  for (const [index, attachment] of email.attachments.entries()) {
    const name = uniqueName(attachmentName(attachment, index), usedNames);
    const skipped = skipReason(attachment, index, context, maxNestingDepth);
    if (skipped !== undefined) {
      sections.push(`--- attachment: ${name} ---\n[not parsed: ${skipped}]`);
      continue;
    }
    let nested: ParseOutput;
    try {
      nested = await context.parseNested(attachment.content, name, context.depth + 1);
    } catch (error) {
      if (context.abortSignal?.aborted) throw error;
      sections.push(`--- attachment: ${name} ---\n[not parsed: ${describeError(error)}]`);
      continue;
    }
    const text = nested.text.trim();
    for (const warning of nested.warnings ?? []) warnings.push(`${name}: ${warning}`);
    sections.push(`--- attachment: ${name} ---\n${text.length > 0 ? text : "[no text]"}`);
    if (nested.provenance !== undefined && nested.provenance.length > 0) {
      for (const entry of nested.provenance) provenance.push({ ...entry, attachment: name });
    } else {
      provenance.push({ attachment: name });
    }
  }

  for (const warning of email.omitted ?? []) sections.push(`[${warning}]`);
  return {
    text: sections.join("\n\n"),
    parser,
    ...(provenance.length > 0 ? { provenance } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

function headerBlock(email: EmailContent): string {
  const lines: string[] = [];
  const add = (label: string, value: string | undefined): void => {
    const folded = value?.replace(/\s+/g, " ").trim();
    if (folded !== undefined && folded.length > 0) lines.push(`${label}: ${folded}`);
  };
  add("From", email.from);
  add("To", email.to);
  add("Cc", email.cc);
  add("Date", formatDate(email.date));
  add("Subject", email.subject);
  return lines.join("\n");
}

/** ISO 8601 in UTC, to the second; a date string that does not parse is kept as it is. */
export function formatDate(date: Date | string | undefined): string | undefined {
  if (date === undefined) return undefined;
  const parsed = typeof date === "string" ? new Date(date) : date;
  if (Number.isNaN(parsed.getTime())) return typeof date === "string" ? date : undefined;
  return parsed.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function emailBody(email: EmailContent): string {
  const text = email.text?.replace(/\r\n?/g, "\n").trim() ?? "";
  if (text.length > 0) return tidyBody(text);
  if (email.html !== undefined && email.html.trim().length > 0) {
    const { title, markdown } = htmlToMarkdown(email.html);
    // An e-mail's <title> is usually its subject again.
    return title !== undefined && title === email.subject?.trim() ? markdown : withTitle(title, markdown);
  }
  return "";
}

function tidyBody(text: string): string {
  return text
    .split("\n")
    .map((line) => line.replace(/[ \t]+$/, ""))
    .join("\n")
    .replace(/\n{3,}/g, "\n\n");
}

function skipReason(
  attachment: EmailAttachmentContent,
  index: number,
  context: ParseContext,
  maxNestingDepth: number,
): string | undefined {
  const { maxEmailAttachments, maxAttachmentBytes } = context.limits;
  if (context.depth + 1 > maxNestingDepth) return `nested deeper than ${maxNestingDepth} levels`;
  if (index >= maxEmailAttachments) return `over the limit of ${maxEmailAttachments} attachments per email`;
  if (attachment.content.length > maxAttachmentBytes) {
    return `${attachment.content.length} bytes, over the ${maxAttachmentBytes}-byte attachment limit`;
  }
  return undefined;
}

function describeError(error: unknown): string {
  if (isOmnimemError(error)) return `${error.code}: ${error.message}`;
  // A library's own message names its internals; the email's text is no place for it.
  return "the attachment could not be read";
}

const EXTENSION_BY_TYPE: Readonly<Record<string, string>> = {
  "message/rfc822": ".eml",
  "text/plain": ".txt",
  "text/html": ".html",
  "text/csv": ".csv",
  "text/markdown": ".md",
  "application/json": ".json",
  "application/pdf": ".pdf",
  "image/png": ".png",
  "image/jpeg": ".jpg",
  "image/gif": ".gif",
  "image/webp": ".webp",
  "audio/mpeg": ".mp3",
  "audio/wav": ".wav",
  "application/vnd.ms-outlook": ".msg",
};

/** The attachment's own file name without any directory part, or one made from its type. */
function attachmentName(attachment: EmailAttachmentContent, index: number): string {
  const own = attachment.filename?.replace(/[\u0000-\u001f\u007f]/g, "").trim();
  const base = own === undefined || own.length === 0 ? "" : path.posix.basename(own.replace(/\\/g, "/"));
  if (base.length > 0 && base !== "." && base !== "..") return base;
  const type = attachment.contentType?.toLowerCase().split(";")[0]?.trim() ?? "";
  return `${attachment.inline ? "inline" : "attachment"}-${index + 1}${EXTENSION_BY_TYPE[type] ?? ""}`;
}

function uniqueName(name: string, used: Set<string>): string {
  let candidate = name;
  for (let n = 2; used.has(candidate); n++) {
    const extension = path.posix.extname(name);
    candidate = `${name.slice(0, name.length - extension.length)} (${n})${extension}`;
  }
  used.add(candidate);
  return candidate;
}

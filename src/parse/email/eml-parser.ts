/** RFC 822 / MIME e-mail (.eml) through mailparser. */
import { simpleParser, type AddressObject, type ParsedMail } from "mailparser";

import { UnsupportedFormatError } from "../../spec/errors.js";
import type { ParseContext, ParseInput, ParseOutput, Parser } from "../../spec/parser.js";
import { DEFAULT_MAX_EMAIL_NESTING_DEPTH, renderEmail, type EmailContent, type EmailParserOptions } from "./email-render.js";

export class EmlParser implements Parser {
  readonly name = "email/eml";
  readonly formats: readonly string[] = ["eml"];

  private readonly maxNestingDepth: number;

  constructor(options: EmailParserOptions = {}) {
    this.maxNestingDepth = options.maxNestingDepth ?? DEFAULT_MAX_EMAIL_NESTING_DEPTH;
  }

  async parse(input: ParseInput, context: ParseContext): Promise<ParseOutput> {
    const email = await decodeEml(input.bytes);
    return renderEmail(email, context, "email/eml", this.maxNestingDepth);
  }
}

/** Decodes an .eml into the shared e-mail shape. */
export async function decodeEml(bytes: Uint8Array): Promise<EmailContent> {
  let parsed: ParsedMail;
  try {
    parsed = await simpleParser(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
      // Keep the sender's own text part apart from the HTML one: no text made from HTML, no
      // HTML made from text, and cid: links left alone instead of inlined as data: URIs.
      skipHtmlToText: true,
      skipTextToHtml: true,
      skipImageLinks: true,
      skipTextLinks: true,
      keepCidLinks: true,
    });
  } catch (error) {
    throw new UnsupportedFormatError("The e-mail could not be parsed as MIME", { cause: error });
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
  };
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

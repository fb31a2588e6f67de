/**
 * Outlook messages (.msg, a CFB container of MAPI properties) through @kenjiuno/msgreader.
 *
 * A non-Unicode message stores its strings (PT_STRING8) as bytes in a Windows code page, which
 * the reader decodes as Latin-1 unless told otherwise: a Japanese message (code page 932) comes
 * out as mojibake. So the message is read once to learn its code page (PR_MESSAGE_CODEPAGE,
 * else PR_INTERNET_CPID, else the one its locale implies) and read again with that encoding.
 */
import { createRequire } from "node:module";
import type msgReaderModule from "@kenjiuno/msgreader";
import type { FieldsData } from "@kenjiuno/msgreader";
import iconv from "iconv-lite";

import { readCfbDirectory } from "../../content/cfb.js";
import { UnsupportedFormatError } from "../../spec/errors.js";
import type { ParseContext, ParseInput, ParseOutput, Parser } from "../../spec/parser.js";
import { decodeHtmlBytes } from "../html/html-to-markdown.js";
import {
  DEFAULT_MAX_EMAIL_NESTING_DEPTH,
  renderEmail,
  type EmailAttachmentContent,
  type EmailContent,
  type EmailParserOptions,
} from "./email-render.js";

type MsgReaderClass = typeof msgReaderModule.default;

const requireModule = createRequire(import.meta.url);
let msgReaderClass: MsgReaderClass | undefined;

/**
 * The reader class, loaded with the first .msg file rather than at startup (decodeMsg is
 * synchronous, so it is required, not imported). A CommonJS package compiled from TypeScript:
 * `module.exports.default` is the class; some builds export the class itself.
 */
function msgReader(): MsgReaderClass {
  if (msgReaderClass === undefined) {
    const loaded = requireModule("@kenjiuno/msgreader") as { default?: MsgReaderClass };
    msgReaderClass = loaded.default ?? (loaded as unknown as MsgReaderClass);
  }
  return msgReaderClass;
}

/** An attachment's bytes as the reader hands them out. */
export type MsgAttachmentLoader = (attachment: FieldsData) => { fileName: string; content: Uint8Array };

export class MsgParser implements Parser {
  readonly name = "email/msg";
  readonly formats: readonly string[] = ["msg"];

  private readonly maxNestingDepth: number;

  constructor(options: EmailParserOptions = {}) {
    this.maxNestingDepth = options.maxNestingDepth ?? DEFAULT_MAX_EMAIL_NESTING_DEPTH;
  }

  async parse(input: ParseInput, context: ParseContext): Promise<ParseOutput> {
    const email = decodeMsg(input.bytes);
    return renderEmail(email, context, "email/msg", this.maxNestingDepth);
  }
}

export function decodeMsg(bytes: Uint8Array): EmailContent {
  // The reader wants an ArrayBuffer of exactly the file.
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let opened = openMsg(buffer, undefined);
  const codePage = messageCodePage(opened.fields);
  const encoding = codePage === undefined ? undefined : encodingOfCodePage(codePage);
  // Unicode messages carry a code page too; only PT_STRING8 streams need the second reading.
  if (encoding !== undefined && encoding !== "utf16le" && hasString8Streams(bytes)) {
    try {
      opened = openMsg(buffer, encoding);
    } catch {
      // The first reading stands: Latin-1 strings are better than no message.
    }
  }
  const { reader, fields } = opened;
  return mapMsgFields(fields, (attachment) => reader.getAttachment(attachment));
}

/** Whether any storage holds a PT_STRING8 property stream (`__substg1.0_XXXX001E`). */
function hasString8Streams(bytes: Uint8Array): boolean {
  const directory = readCfbDirectory(bytes);
  // An unreadable directory: let the second reading decide.
  return directory === undefined || directory.some((entry) => /^__substg1\.0_[0-9a-f]{4}001e$/i.test(entry.name));
}

function openMsg(buffer: ArrayBuffer, ansiEncoding: string | undefined): { reader: InstanceType<MsgReaderClass>; fields: FieldsData } {
  let reader: InstanceType<MsgReaderClass>;
  let fields: FieldsData;
  try {
    const MsgReader = msgReader();
    reader = new MsgReader(buffer);
    if (ansiEncoding !== undefined) reader.parserConfig = { ansiEncoding };
    fields = reader.getFileData();
  } catch (error) {
    throw new UnsupportedFormatError("The file is not a readable Outlook .msg message", { cause: error });
  }
  if ((fields as { error?: unknown }).error !== undefined || fields.dataType !== "msg") {
    throw new UnsupportedFormatError("The file is not a readable Outlook .msg message", {
      cause: new Error(String((fields as { error?: unknown }).error ?? `data type ${String(fields.dataType)}`)),
    });
  }
  return { reader, fields };
}

/**
 * The code page of the message's PT_STRING8 strings: PR_MESSAGE_CODEPAGE, else PR_INTERNET_CPID,
 * else the ANSI code page of PR_MESSAGE_LOCALE_ID (what the writing store used).
 */
export function messageCodePage(fields: FieldsData): number | undefined {
  const valid = (value: unknown): number | undefined => (typeof value === "number" && value > 0 && value < 65536 ? value : undefined);
  return (
    valid(fields.messageCodepage) ??
    valid(fields.internetCodepage) ??
    codePageOfLocale(valid((fields as { messageLocaleId?: unknown }).messageLocaleId))
  );
}

/** Windows code pages iconv-lite does not know by `cp<number>`. */
const CODE_PAGE_NAMES: Readonly<Record<number, string>> = {
  1200: "utf16le",
  1201: "utf16be",
  20127: "ascii",
  20866: "koi8-r",
  21866: "koi8-u",
  51932: "euc-jp",
  51949: "euc-kr",
  54936: "gb18030",
  65001: "utf8",
  10000: "macintosh",
};

/** An iconv-lite encoding name for a Windows code page; undefined when it has none. */
export function encodingOfCodePage(codePage: number): string | undefined {
  const isoPart = codePage >= 28591 && codePage <= 28606 ? codePage - 28590 : undefined;
  const name = CODE_PAGE_NAMES[codePage] ?? (isoPart === undefined ? `cp${codePage}` : `iso-8859-${isoPart}`);
  return iconv.encodingExists(name) ? name : undefined;
}

/** The ANSI code page Windows uses for a locale (LCID), by its primary language; undefined when unknown. */
function codePageOfLocale(lcid: number | undefined): number | undefined {
  if (lcid === undefined) return undefined;
  if (lcid === 0x0404 || lcid === 0x0c04 || lcid === 0x1404) return 950; // Chinese (Traditional)
  const language = lcid & 0x3ff;
  const byLanguage: Readonly<Record<number, number>> = {
    0x04: 936, // Chinese (Simplified)
    0x11: 932, // Japanese
    0x12: 949, // Korean
    0x1e: 874, // Thai
    0x2a: 1258, // Vietnamese
    0x08: 1253, // Greek
    0x1f: 1254, // Turkish
    0x0d: 1255, // Hebrew
    0x01: 1256, // Arabic
    0x29: 1256, // Persian
    0x20: 1256, // Urdu
    0x25: 1257, // Estonian
    0x26: 1257, // Latvian
    0x27: 1257, // Lithuanian
    0x19: 1251, // Russian
    0x22: 1251, // Ukrainian
    0x02: 1251, // Bulgarian
    0x23: 1251, // Belarusian
    0x2f: 1251, // Macedonian
    0x05: 1250, // Czech
    0x15: 1250, // Polish
    0x0e: 1250, // Hungarian
    0x1b: 1250, // Slovak
    0x24: 1250, // Slovenian
    0x18: 1250, // Romanian
    0x1c: 1250, // Albanian
  };
  return byLanguage[language] ?? 1252;
}

/** MAPI properties → the shared e-mail shape (exported for unit tests of the mapping). */
export function mapMsgFields(fields: FieldsData, loadAttachment: MsgAttachmentLoader): EmailContent {
  const recipients = fields.recipients ?? [];
  const list = (type: "to" | "cc"): string | undefined => {
    const entries = recipients
      .filter((recipient) => (recipient.recipType ?? "to") === type)
      .map((recipient) => mailbox(recipient.name, smtpAddressOf(recipient.smtpAddress, recipient.email, recipient.addressType)))
      .filter((entry): entry is string => entry !== undefined);
    return entries.length > 0 ? entries.join(", ") : undefined;
  };

  const attachments: EmailAttachmentContent[] = [];
  for (const attachment of fields.attachments ?? []) {
    const loaded = loadAttachment(attachment);
    let filename = firstNonEmpty(attachment.fileName, loaded.fileName, attachment.name, attachment.fileNameShort);
    if (attachment.innerMsgContent === true) {
      filename ??= "message";
      if (!filename.toLowerCase().endsWith(".msg")) filename += ".msg";
    }
    attachments.push({
      filename,
      contentType: attachment.innerMsgContent === true ? "application/vnd.ms-outlook" : attachment.attachMimeTag,
      content: loaded.content,
      inline: attachment.attachmentHidden === true || (attachment.pidContentId !== undefined && attachment.attachMimeTag?.startsWith("image/") === true),
    });
  }

  return {
    from: mailbox(fields.senderName, smtpAddressOf(fields.senderSmtpAddress, fields.senderEmail, fields.senderAddressType)),
    to: list("to"),
    cc: list("cc"),
    date: headerDate(fields.headers) ?? fields.messageDeliveryTime ?? fields.clientSubmitTime,
    subject: fields.subject,
    text: fields.body,
    html: fields.bodyHtml ?? (fields.html === undefined ? undefined : decodeHtml(fields.html, fields.internetCodepage ?? messageCodePage(fields))),
    attachments,
  };
}

function firstNonEmpty(...values: (string | undefined)[]): string | undefined {
  return values.find((value) => value !== undefined && value.trim().length > 0);
}

/** The SMTP address: Exchange ("EX") addresses are directory paths, not mail addresses. */
function smtpAddressOf(smtp: string | undefined, email: string | undefined, addressType: string | undefined): string | undefined {
  if (smtp !== undefined && smtp.length > 0) return smtp;
  if (email !== undefined && email.length > 0 && addressType?.toUpperCase() !== "EX") return email;
  return undefined;
}

function mailbox(name: string | undefined, address: string | undefined): string | undefined {
  const display = name?.trim();
  if (address === undefined) return display !== undefined && display.length > 0 ? display : undefined;
  if (display === undefined || display.length === 0 || display === address) return address;
  return `${display} <${address}>`;
}

/** The Date header of the transport headers, when the message kept them. */
function headerDate(headers: string | undefined): string | undefined {
  const match = headers === undefined ? null : /^Date:[ \t]*(.+(?:\r?\n[ \t].+)*)/im.exec(headers);
  return match?.[1]?.replace(/\s+/g, " ").trim();
}

/** PR_HTML is bytes in the message's (internet) code page; without one, the HTML's own declaration decides. */
function decodeHtml(html: Uint8Array, codePage: number | undefined): string {
  const encoding = codePage === undefined ? undefined : encodingOfCodePage(codePage);
  return encoding === undefined ? decodeHtmlBytes(html) : iconv.decode(Buffer.from(html.buffer, html.byteOffset, html.byteLength), encoding);
}

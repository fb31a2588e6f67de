/** Outlook messages (.msg, a CFB container of MAPI properties) through @kenjiuno/msgreader. */
import msgReaderModule, { type FieldsData } from "@kenjiuno/msgreader";

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

// A CommonJS package compiled from TypeScript: under Node's ESM loader the default import is
// `module.exports`, whose `default` is the class; bundlers may already unwrap it.
const MsgReader: MsgReaderClass =
  (msgReaderModule as unknown as { default?: MsgReaderClass }).default ?? (msgReaderModule as unknown as MsgReaderClass);

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
  let reader: InstanceType<MsgReaderClass>;
  let fields: FieldsData;
  try {
    reader = new MsgReader(buffer);
    fields = reader.getFileData();
  } catch (error) {
    throw new UnsupportedFormatError("The file is not a readable Outlook .msg message", { cause: error });
  }
  if ((fields as { error?: unknown }).error !== undefined || fields.dataType !== "msg") {
    throw new UnsupportedFormatError("The file is not a readable Outlook .msg message", {
      cause: new Error(String((fields as { error?: unknown }).error ?? `data type ${String(fields.dataType)}`)),
    });
  }
  return mapMsgFields(fields, (attachment) => reader.getAttachment(attachment));
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
    html: fields.bodyHtml ?? (fields.html === undefined ? undefined : decodeHtml(fields.html, fields.internetCodepage)),
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

function decodeHtml(html: Uint8Array, codePage: number | undefined): string {
  if (codePage === 65001) return new TextDecoder("utf-8").decode(html);
  if (codePage !== undefined && codePage >= 1250 && codePage <= 1258) {
    try {
      return new TextDecoder(`windows-${codePage}`).decode(html);
    } catch {
      // Fall through to sniffing the HTML's own declaration.
    }
  }
  return decodeHtmlBytes(html);
}

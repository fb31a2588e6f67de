/**
 * Content checks for the text-based formats magic-byte detection cannot name: SVG, HTML, EML,
 * RTF, JSON, and "is this text at all".
 */

const fatalDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The bytes as a string when they are valid UTF-8 without NUL characters (BOM dropped); otherwise undefined. */
export function decodeUtf8Text(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0 || bytes.includes(0)) return undefined;
  try {
    return fatalDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Skips what may precede a document's root element: BOM, whitespace, the XML declaration and
 * other processing instructions, comments, and a DOCTYPE (whose name is returned).
 */
function rootOfMarkup(text: string): { doctype?: string; rest: string } {
  let rest = text.slice(0, 64 * 1024).replace(/^\uFEFF/, "");
  let doctype: string | undefined;
  for (let guard = 0; guard < 100; guard++) {
    rest = rest.trimStart();
    if (rest.startsWith("<?")) {
      const end = rest.indexOf("?>");
      if (end === -1) return { rest: "" };
      rest = rest.slice(end + 2);
    } else if (rest.startsWith("<!--")) {
      const end = rest.indexOf("-->");
      if (end === -1) return { rest: "" };
      rest = rest.slice(end + 3);
    } else if (/^<!doctype\s/i.test(rest)) {
      doctype = /^<!doctype\s+([^\s>[]+)/i.exec(rest)?.[1]?.toLowerCase();
      // An internal subset ([...]) may contain '>'.
      const subset = rest.indexOf("[");
      const close = rest.indexOf(">");
      const end = subset !== -1 && subset < close ? rest.indexOf("]>", subset) + 1 : close;
      if (end <= 0) return doctype === undefined ? { rest: "" } : { doctype, rest: "" };
      rest = rest.slice(end + 1);
    } else {
      break;
    }
  }
  return doctype === undefined ? { rest } : { doctype, rest };
}

export function looksLikeSvg(text: string): boolean {
  const { doctype, rest } = rootOfMarkup(text);
  return doctype === "svg" || /^<svg[\s>/]/i.test(rest) || /^<[\w-]+:svg[\s>/]/i.test(rest);
}

export function looksLikeHtml(text: string): boolean {
  const { doctype, rest } = rootOfMarkup(text);
  return doctype === "html" || /^<html[\s>]/i.test(rest);
}

export function looksLikeRtf(text: string): boolean {
  return text.replace(/^\uFEFF/, "").startsWith("{\\rtf");
}

const EMAIL_HEADERS = new Set([
  "from",
  "to",
  "cc",
  "bcc",
  "subject",
  "date",
  "mime-version",
  "received",
  "content-type",
  "content-transfer-encoding",
  "message-id",
  "return-path",
  "delivered-to",
  "reply-to",
  "sender",
  "in-reply-to",
  "references",
  "dkim-signature",
  "authentication-results",
  "x-mailer",
  "x-originating-ip",
]);
/** Headers that only messages carry; "Content-Type" and "Date" alone also open HTTP dumps and notes. */
const EMAIL_ANCHORS = ["from", "received", "message-id", "mime-version", "return-path", "delivered-to"];

/** An RFC 5322 message: a leading block of header fields (with folded continuations) ended by a blank line. */
export function looksLikeEml(text: string): boolean {
  const lines = text.slice(0, 64 * 1024).replace(/^\uFEFF/, "").split(/\r?\n/);
  let index = lines[0]?.startsWith("From ") ? 1 : 0; // mbox separator line
  const names = new Set<string>();
  let fields = 0;
  let multipart = false;
  for (; index < lines.length; index++) {
    const line = lines[index] ?? "";
    if (line === "") break;
    if (/^[ \t]/.test(line)) {
      if (fields === 0) return false;
      continue;
    }
    const match = /^([!-9;-~]+):/.exec(line);
    if (match === null) return false;
    fields++;
    const name = (match[1] ?? "").toLowerCase();
    names.add(name);
    if (name === "content-type" && /^content-type:\s*multipart\//i.test(line)) multipart = true;
  }
  if (index >= lines.length) return false; // no blank line: no body separator, not a message
  // A bare MIME multipart entity (only a Content-Type header) is what mail parsers read too.
  if (multipart) return true;
  const known = [...names].filter((name) => EMAIL_HEADERS.has(name)).length;
  return known >= 2 && EMAIL_ANCHORS.some((anchor) => names.has(anchor));
}

/** A JSON object or array (a bare number or string is just text). */
export function looksLikeJson(text: string, maxChars = 16 * 1024 * 1024): boolean {
  const trimmed = text.replace(/^\uFEFF/, "").trim();
  if (trimmed.length > maxChars || !/^[[{]/.test(trimmed)) return false;
  try {
    JSON.parse(trimmed);
    return true;
  } catch {
    return false;
  }
}

/** The text formats recognisable by content alone, most specific first. */
export function classifyText(text: string): "rtf" | "svg" | "html" | "eml" | "json" | undefined {
  if (looksLikeRtf(text)) return "rtf";
  if (looksLikeSvg(text)) return "svg";
  if (looksLikeHtml(text)) return "html";
  if (looksLikeJson(text)) return "json";
  if (looksLikeEml(text)) return "eml";
  return undefined;
}

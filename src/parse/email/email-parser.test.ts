import type { FieldsData } from "@kenjiuno/msgreader";
import { describe, expect, it } from "vitest";

import { emlWithAttachment, recordingContext } from "../../../test/support/fixtures/documents.js";
import { UnsupportedFormatError } from "../../spec/errors.js";
import type { ParseInput } from "../../spec/parser.js";
import { EmlParser } from "./eml-parser.js";
import { mapMsgFields, MsgParser } from "./msg-parser.js";

const PNG_BYTES = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);

function input(format: "eml" | "msg", bytes: Uint8Array): ParseInput {
  return { bytes, format: { format, mediaType: "message/rfc822", modality: "email" }, name: `mail.${format}` };
}

async function standardEmail(): Promise<Uint8Array> {
  return emlWithAttachment({
    subject: "Quarterly numbers",
    body: "Hi Charles,\n\nthe numbers are attached.\n\nAda",
    html: '<p>Hi Charles,</p><p>the numbers are attached.</p><img src="cid:chart@omnimem">',
    cc: "Mary Somerville <mary@example.com>",
    attachments: [
      { filename: "numbers.txt", contentType: "text/plain", content: "Revenue: 12\nCosts: 7" },
      { filename: "chart.png", contentType: "image/png", content: PNG_BYTES, cid: "chart@omnimem" },
    ],
  });
}

describe("EmlParser", () => {
  const parser = new EmlParser();

  it("writes headers, the text body and each attachment and inline image through parseNested", async () => {
    const { context, calls } = recordingContext({
      handler: (call) =>
        call.name === "chart.png"
          ? { text: "A bar chart: revenue 12, costs 7", parser: "stub/vision" }
          : { text: Buffer.from(call.bytes).toString("utf8"), parser: "stub/text" },
    });
    const output = await parser.parse(input("eml", await standardEmail()), context);

    // In MIME order: the inline image sits with the HTML body, before the attachment.
    expect(calls.map((call) => [call.name, call.depth])).toEqual([
      ["chart.png", 1],
      ["numbers.txt", 1],
    ]);
    expect(Array.from(calls[0]?.bytes ?? [])).toEqual(Array.from(PNG_BYTES));
    expect(output.parser).toBe("email/eml");
    expect(output.text).toBe(
      [
        'From: "Ada Lovelace" <ada@example.com>',
        '"Charles Babbage" <charles@example.com>'.replace(/^/, "To: "),
        'Cc: "Mary Somerville" <mary@example.com>',
        "Date: 2024-03-01T10:30:00Z",
        "Subject: Quarterly numbers",
        "",
        "Hi Charles,\n\nthe numbers are attached.\n\nAda",
        "",
        "--- attachment: chart.png ---\nA bar chart: revenue 12, costs 7",
        "",
        "--- attachment: numbers.txt ---\nRevenue: 12\nCosts: 7",
      ].join("\n"),
    );
    expect(output.provenance).toEqual([{ attachment: "chart.png" }, { attachment: "numbers.txt" }]);
  });

  it("keeps the nested parser's provenance, tagged with the attachment", async () => {
    const bytes = await emlWithAttachment({
      subject: "Report",
      body: "See attached.",
      attachments: [{ filename: "report.pdf", contentType: "application/pdf", content: "%PDF-1.4 stub" }],
    });
    const { context } = recordingContext({ handler: () => ({ text: "page one\npage two", parser: "pdf/text-layer", provenance: [{ page: 1 }, { page: 2 }] }) });
    const output = await parser.parse(input("eml", bytes), context);
    expect(output.provenance).toEqual([
      { page: 1, attachment: "report.pdf" },
      { page: 2, attachment: "report.pdf" },
    ]);
  });

  it("turns an HTML-only body into markdown", async () => {
    const bytes = await emlWithAttachment({
      subject: "Newsletter",
      html: '<html><head><title>Newsletter</title><style>p{}</style></head><body><nav>MENU</nav><h2>News</h2><p>Read <a href="https://example.com/post">the post</a>.</p><script>track()</script></body></html>',
    });
    const { context } = recordingContext();
    const { text } = await parser.parse(input("eml", bytes), context);
    expect(text).toContain("Subject: Newsletter\n\n## News\n\nRead [the post](https://example.com/post).");
    expect(text).not.toContain("MENU");
    expect(text).not.toContain("track()");
  });

  it("lists attachments over the count and size limits with the reason, without parsing them", async () => {
    const bytes = await emlWithAttachment({
      subject: "Many files",
      body: "Files.",
      attachments: [
        { filename: "a.txt", contentType: "text/plain", content: "first" },
        { filename: "big.txt", contentType: "text/plain", content: "x".repeat(5000) },
        { filename: "c.txt", contentType: "text/plain", content: "third" },
        { filename: "d.txt", contentType: "text/plain", content: "fourth" },
      ],
    });
    const { context, calls } = recordingContext({ limits: { maxEmailAttachments: 3, maxAttachmentBytes: 1000 } });
    const { text, provenance } = await parser.parse(input("eml", bytes), context);
    expect(calls.map((call) => call.name)).toEqual(["a.txt", "c.txt"]);
    expect(text).toContain("--- attachment: a.txt ---\nfirst");
    expect(text).toContain("--- attachment: big.txt ---\n[not parsed: 5000 bytes, over the 1000-byte attachment limit]");
    expect(text).toContain("--- attachment: c.txt ---\nthird");
    expect(text).toContain("--- attachment: d.txt ---\n[not parsed: over the limit of 3 attachments per email]");
    expect(provenance).toEqual([{ attachment: "a.txt" }, { attachment: "c.txt" }]);
  });

  it("does not parse attachments past the nesting depth limit", async () => {
    const bytes = await emlWithAttachment({
      subject: "Fwd: Fwd: Fwd:",
      body: "deep",
      attachments: [
        { filename: "inner.eml", contentType: "message/rfc822", content: "Subject: inner\r\n\r\nbody", contentDisposition: "attachment" },
      ],
    });
    const { context, calls } = recordingContext({ depth: 3 });
    const { text } = await parser.parse(input("eml", bytes), context);
    expect(calls).toHaveLength(0);
    expect(text).toContain("--- attachment: inner.eml ---\n[not parsed: nested deeper than 3 levels]");

    const shallow = recordingContext({ depth: 2 });
    await parser.parse(input("eml", bytes), shallow.context);
    expect(shallow.calls.map((call) => [call.name, call.depth])).toEqual([["inner.eml", 3]]);
  });

  it("notes an attachment that fails to parse and still returns the e-mail", async () => {
    const bytes = await emlWithAttachment({
      subject: "Archive",
      body: "Zip attached.",
      attachments: [
        { filename: "files.zip", contentType: "application/zip", content: new Uint8Array([0x50, 0x4b, 3, 4]) },
        { filename: "ok.txt", contentType: "text/plain", content: "fine" },
      ],
    });
    const { context } = recordingContext({
      handler: (call) => {
        if (call.name === "files.zip") throw new UnsupportedFormatError("No parser for zip");
        return { text: "fine", parser: "stub/text" };
      },
    });
    const output = await parser.parse(input("eml", bytes), context);
    expect(output.text).toContain("--- attachment: files.zip ---\n[not parsed: UNSUPPORTED_FORMAT: No parser for zip]");
    expect(output.text).toContain("--- attachment: ok.txt ---\nfine");
    expect(output.provenance).toEqual([{ attachment: "ok.txt" }]);
  });

  it("names an attachment a library failed on without the library's own message", async () => {
    const bytes = await emlWithAttachment({
      subject: "Scan",
      body: "See the scan.",
      attachments: [{ filename: "scan.pdf", contentType: "application/pdf", content: "%PDF-1.7 broken" }],
    });
    const { context } = recordingContext({
      handler: () => {
        throw new TypeError("Cannot read properties of undefined (reading 'XRef') at pdf.worker.mjs:1234");
      },
    });
    const output = await parser.parse(input("eml", bytes), context);
    expect(output.text).toContain("--- attachment: scan.pdf ---\n[not parsed: the attachment could not be read]");
    expect(output.text).not.toMatch(/XRef|pdf\.worker|Cannot read properties/);
  });

  it("stops when the caller aborts", async () => {
    const controller = new AbortController();
    const { context } = recordingContext({
      abortSignal: controller.signal,
      handler: () => {
        controller.abort(new Error("client went away"));
        throw new Error("aborted");
      },
    });
    await expect(parser.parse(input("eml", await standardEmail()), context)).rejects.toThrow("aborted");
  });
});

describe("MsgParser", () => {
  it("rejects a file that is not an Outlook message", async () => {
    const { context } = recordingContext();
    await expect(new MsgParser().parse(input("msg", new TextEncoder().encode("not a compound file")), context)).rejects.toBeInstanceOf(
      UnsupportedFormatError,
    );
  });

  it("maps MAPI fields: sender, recipients by type, Date header, HTML body and attachments", () => {
    const fields = {
      dataType: "msg",
      subject: "Budget",
      senderName: "Ada Lovelace",
      senderEmail: "/o=ExchangeLabs/ou=Exchange Administrative Group/cn=Recipients/cn=ada",
      senderAddressType: "EX",
      senderSmtpAddress: "ada@example.com",
      headers: "Received: from x\r\nDate: Fri, 1 Mar 2024 10:30:00 +0000\r\nSubject: Budget\r\n",
      messageDeliveryTime: "Sat, 02 Mar 2024 00:00:00 GMT",
      internetCodepage: 65001,
      html: new TextEncoder().encode("<p>Caf\u00e9 budget</p>"),
      recipients: [
        { dataType: "recipient", name: "Charles Babbage", email: "charles@example.com", addressType: "SMTP", recipType: "to" },
        { dataType: "recipient", name: "Mary", addressType: "EX", email: "/o=Exchange/cn=mary", smtpAddress: "mary@example.com", recipType: "cc" },
        { dataType: "recipient", name: "bob@example.com", email: "bob@example.com", addressType: "SMTP", recipType: "to" },
        { dataType: "recipient", name: "Hidden", email: "hidden@example.com", recipType: "bcc" },
      ],
      attachments: [
        { dataType: "attachment", fileName: "numbers.txt", attachMimeTag: "text/plain" },
        { dataType: "attachment", name: "Forwarded note", innerMsgContent: true },
        { dataType: "attachment", fileName: "logo.png", attachMimeTag: "image/png", pidContentId: "logo@x" },
      ],
    } as unknown as FieldsData;
    const loaded: string[] = [];
    const email = mapMsgFields(fields, (attachment) => {
      loaded.push(attachment.fileName ?? attachment.name ?? "?");
      return { fileName: attachment.fileName ?? "", content: new Uint8Array([1, 2, 3]) };
    });
    expect(email).toMatchObject({
      from: "Ada Lovelace <ada@example.com>",
      to: "Charles Babbage <charles@example.com>, bob@example.com",
      cc: "Mary <mary@example.com>",
      date: "Fri, 1 Mar 2024 10:30:00 +0000",
      subject: "Budget",
      html: "<p>Café budget</p>",
    });
    expect(email.text).toBeUndefined();
    expect(loaded).toEqual(["numbers.txt", "Forwarded note", "logo.png"]);
    expect(email.attachments.map((attachment) => [attachment.filename, attachment.contentType, attachment.inline])).toEqual([
      ["numbers.txt", "text/plain", false],
      ["Forwarded note.msg", "application/vnd.ms-outlook", false],
      ["logo.png", "image/png", true],
    ]);
  });
});

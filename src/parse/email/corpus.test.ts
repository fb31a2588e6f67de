/**
 * The e-mails of the shared real-file corpus (../shared/corpus/README.md). Runs only when
 * OMNIMEM_CORPUS_DIR points at the corpus folder. Nested parts go through a small registry
 * of this folder's neighbours (text, html, eml).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { recordingContext, type NestedParseCall } from "../../../test/support/fixtures/documents.js";
import { UnsupportedFormatError } from "../../spec/errors.js";
import type { ParseContext, ParseOutput, Parser } from "../../spec/parser.js";
import { HtmlParser } from "../html/html-parser.js";
import { TextParser } from "../text/text-parser.js";
import { EmlParser } from "./eml-parser.js";
import { MsgParser } from "./msg-parser.js";

const corpus = process.env["OMNIMEM_CORPUS_DIR"];

const PARSERS: Readonly<Record<string, Parser>> = {
  txt: new TextParser(),
  html: new HtmlParser(),
  eml: new EmlParser(),
  msg: new MsgParser(),
};

function folded(text: string): string {
  return text.replace(/\s+/g, " ").toLowerCase();
}

function miniRegistry(): { context: ParseContext; calls: NestedParseCall[] } {
  const recording = recordingContext({
    handler: (call): Promise<ParseOutput> => {
      const format = path.extname(call.name ?? "").slice(1).toLowerCase();
      const parser = PARSERS[format];
      if (parser === undefined) throw new UnsupportedFormatError(`no parser for ${call.name ?? "?"}`);
      return parser.parse(
        { bytes: call.bytes, format: { format, mediaType: "application/octet-stream", modality: "text" }, ...(call.name === undefined ? {} : { name: call.name }) },
        { ...recording.context, depth: call.depth },
      );
    },
  });
  return recording;
}

async function parse(file: string): Promise<{ output: ParseOutput; calls: NestedParseCall[] }> {
  const bytes = new Uint8Array(await readFile(path.join(corpus ?? "", "email", file)));
  const format = path.extname(file).slice(1);
  const parser = PARSERS[format] as Parser;
  const { context, calls } = miniRegistry();
  const output = await parser.parse({ bytes, format: { format, mediaType: "message/rfc822", modality: "email" }, name: file }, context);
  return { output, calls };
}

describe.skipIf(corpus === undefined)("email corpus", () => {
  for (const file of ["unstructured_fake-email.eml", "unstructured_fake-email.msg"]) {
    it(`reads ${file}`, async () => {
      const { output } = await parse(file);
      for (const needle of ["Subject: Test Email", "Roses are red", "mrobinson@unstructured.io"]) {
        expect(folded(output.text)).toContain(folded(needle));
      }
    });
  }

  for (const file of ["unstructured_fake-email-attachment.eml", "unstructured_fake-email-attachment.msg"]) {
    it(`reads ${file} with its attachment`, async () => {
      const { output, calls } = await parse(file);
      expect(calls.map((call) => call.name)).toEqual(["fake-attachment.txt"]);
      expect(folded(output.text)).toContain(folded("Here's the attachments!"));
      expect(output.text).toContain("--- attachment: fake-attachment.txt ---\nHey this is a fake attachment!");
      expect(output.provenance).toEqual([{ attachment: "fake-attachment.txt" }]);
    });
  }

  const EDGE_CASES: readonly [string, string][] = [
    ["mailparser_delivery-status.eml", "Delivery Status Notification"],
    ["mailparser_mixed.eml", "Good Morning"],
    ["mailparser_nested.eml", "Good evening"],
    ["mailparser_nodemailer.eml", "Nodemailer is unicode friendly"],
    ["mailparser_spam.eml", "Euro"],
  ];
  for (const [file, needle] of EDGE_CASES) {
    it(`reads the MIME edge case ${file}`, async () => {
      const { output } = await parse(file);
      expect(folded(output.text)).toContain(folded(needle));
    });
  }
});

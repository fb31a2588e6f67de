/**
 * An e-mail with more MIME parts than the parser reads (mailsplit's child-node limit) is not
 * refused whole: its headers, body and first attachments are kept, and what was left out is said
 * in the text and in the parse output's warnings (which the part report carries).
 */
import { describe, expect, it } from "vitest";

import { recordingContext } from "../../../test/support/fixtures/documents.js";
import { emlWithManyAttachments } from "../../../test/support/fixtures/eml-many-parts.js";
import type { ParseInput } from "../../spec/parser.js";
import { EmlParser } from "./eml-parser.js";

const input = (bytes: Uint8Array): ParseInput => ({ bytes, format: { format: "eml", mediaType: "message/rfc822", modality: "email" }, name: "many.eml" });

const emailWithAttachments = async (count: number): Promise<Uint8Array> => emlWithManyAttachments(count);

describe("EmlParser past the MIME part limit", () => {
  it("keeps headers, body and the first attachments of an email over the default limit (1000 parts), and says what was left out", async () => {
    const { context, calls } = recordingContext({ limits: { maxEmailAttachments: 3 } });
    const output = await new EmlParser().parse(input(await emailWithAttachments(1100)), context);
    expect(output.text).toMatch(/^From: "Ada Lovelace" <ada@example.com>\nTo: "Charles Babbage" <charles@example.com>\nDate: 2024-03-01T10:30:00Z\nSubject: Scans from the archive\n\nAll the scans from the basement archive, one file each.\n\n--- attachment: scan-0001.txt ---\nscan number 1\n/);
    expect(calls.map((call) => call.name)).toEqual(["scan-0001.txt", "scan-0002.txt", "scan-0003.txt"]);
    expect(output.warnings).toHaveLength(1);
    const [warning] = output.warnings!;
    // 1100 attachments + the body = 1101 parts below the root; the parser reads up to 1000 nodes.
    const omitted = Number(/^(\d+) of 1101 MIME parts were left out/.exec(warning!)?.[1]);
    expect(omitted).toBeGreaterThanOrEqual(101);
    expect(omitted).toBeLessThan(200);
    expect(warning).toContain("more than the limit of 1000 parts");
    expect(output.text.endsWith(`[${warning}]`)).toBe(true);
  });

  it("applies a configured limit the same way", async () => {
    const { context } = recordingContext({ limits: { maxEmailAttachments: 100 } });
    const output = await new EmlParser({ maxMimeParts: 20 }).parse(input(await emailWithAttachments(30)), context);
    expect(output.text).toContain("All the scans from the basement archive");
    expect(output.text).toContain("--- attachment: scan-0001.txt ---\nscan number 1");
    expect(output.text).not.toContain("scan-0030.txt");
    expect(output.warnings?.[0]).toMatch(/^\d+ of 31 MIME parts were left out: the email has more than the limit of 20 parts/);
  });

  it("adds no warning to an email within the limit", async () => {
    const { context } = recordingContext();
    const output = await new EmlParser({ maxMimeParts: 20 }).parse(input(await emailWithAttachments(5)), context);
    expect(output.warnings).toBeUndefined();
    expect(output.text).toContain("--- attachment: scan-0005.txt ---");
  });
});

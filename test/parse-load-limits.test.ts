import { afterEach, describe, expect, it } from "vitest";
import { Memory } from "../src/index.js";
import { emlWithAttachment } from "./support/fixtures/documents.js";
import { pdfWithTextLayer } from "./support/fixtures/index.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

/**
 * Issue 12, defect 1: `multimodal.max_concurrency` bounds model calls, not parsers. A parse that
 * parses a nested payload (an email's attachment) must never wait for a slot its own parent holds.
 * Defect 5: the bytes one add may hold once loaded are bounded (`multimodal.max_request_bytes`).
 */
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

async function emailWithPdf(subject: string, pdfText: string): Promise<string> {
  const eml = await emlWithAttachment({
    subject,
    body: `The ${subject} document is attached.`,
    attachments: [{ filename: `${subject}.pdf`, contentType: "application/pdf", content: pdfWithTextLayer([pdfText]) }],
  });
  return b64(eml);
}

describe("nested parses and max_concurrency", () => {
  let root = "";
  let memory: Memory | undefined;
  afterEach(async () => {
    await memory?.close();
    memory = undefined;
    await removeTempRoot(root);
  });

  it("parses an email with a PDF attachment at max_concurrency 1", async () => {
    root = await makeTempRoot();
    memory = await Memory.open({ root, logLevel: "silent", parsingModels: {}, multimodal: { maxConcurrency: 1 } });
    const result = await memory.add([{ role: "user", content: [{ type: "email", base64: await emailWithPdf("lease", "Rent is due on the fifth"), name: "lease.eml" }] }], {
      userId: "alice",
      infer: false,
    });
    expect(result.parts).toEqual([expect.objectContaining({ type: "email", parseStatus: "ok" })]);
    expect(result.results[0]!.memory).toContain("Rent is due on the fifth");
  }, 20_000);

  it("parses four such emails in one add at the default max_concurrency, and the next add still runs", async () => {
    root = await makeTempRoot();
    memory = await Memory.open({ root, logLevel: "silent", parsingModels: {} });
    expect(memory.config.multimodal.maxConcurrency).toBe(4);
    const subjects = ["alpha", "bravo", "charlie", "delta"];
    const content = await Promise.all(
      subjects.map(async (subject) => ({ type: "email" as const, base64: await emailWithPdf(subject, `Codeword ${subject} confirmed`), name: `${subject}.eml` })),
    );
    const result = await memory.add([{ role: "user", content }], { userId: "alice", infer: false });
    expect(result.parts.map((part) => part.parseStatus)).toEqual(["ok", "ok", "ok", "ok"]);
    for (const subject of subjects) expect(result.results[0]!.memory).toContain(`Codeword ${subject} confirmed`);
    const next = await memory.add([{ role: "user", content: [{ type: "email", base64: await emailWithPdf("echo", "Codeword echo confirmed"), name: "echo.eml" }] }], {
      userId: "alice",
      infer: false,
    });
    expect(next.results[0]!.memory).toContain("Codeword echo confirmed");
  }, 20_000);

  it("refuses an add whose items together pass max_request_bytes with FILE_TOO_LARGE and stores nothing", async () => {
    root = await makeTempRoot();
    const pdf = pdfWithTextLayer(["Minutes of the board meeting"]);
    memory = await Memory.open({ root, logLevel: "silent", parsingModels: {}, multimodal: { maxRequestBytes: Math.floor(pdf.byteLength * 2.5) } });
    const item = { type: "pdf" as const, base64: b64(pdf) };
    const error = await memory.add([{ role: "user", content: [item, item, item] }], { userId: "alice", infer: false }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: "FILE_TOO_LARGE", httpStatus: 415, details: expect.objectContaining({ reason: "max-request-bytes" }) });
    expect((await memory.getAll({ userId: "alice" })).results).toEqual([]);
    const two = await memory.add([{ role: "user", content: [item, item] }], { userId: "alice", infer: false });
    expect(two.parts).toHaveLength(2);
  }, 20_000);
});

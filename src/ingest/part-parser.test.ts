import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emlWithAttachment } from "../../test/support/fixtures/documents.js";
import { imageWithText } from "../../test/support/fixtures/index.js";
import { DEFAULT_LOAD_OPTIONS } from "../content/load.js";
import { createLogger } from "../log.js";
import { defaultParsers } from "../parse/default-parsers.js";
import { ParserRegistry } from "../parse/registry.js";
import { OmnimemError } from "../spec/errors.js";
import type { ParseLimits, VisionModel } from "../spec/parser.js";
import type { Part } from "../spec/types.js";
import type { ParseCache } from "../spec/parse-cache.js";
import { LOADS_AT_ONCE, PartParser, type PartParserOptions } from "./part-parser.js";

const LIMITS: ParseLimits = {
  maxImagePixels: 60_000_000,
  maxPdfPages: 200,
  maxAudioSeconds: 3600,
  maxHtmlBytes: 10 * 1024 * 1024,
  maxEmailAttachments: 20,
  maxAttachmentBytes: 25 * 1024 * 1024,
  officeTimeoutMs: 120_000,
};
const noCache = { get: () => undefined, put: () => undefined } as unknown as ParseCache;

function partParser(options: Partial<PartParserOptions> = {}): PartParser {
  return new PartParser({
    registry: new ParserRegistry(defaultParsers()),
    load: { ...DEFAULT_LOAD_OPTIONS },
    limits: LIMITS,
    cache: noCache,
    maxConcurrency: 4,
    maxRequestBytes: 200 * 1024 * 1024,
    logger: createLogger("silent"),
    ...options,
  });
}

/** A vision model that counts how many of its calls run at once. */
function countingVision(): VisionModel & { calls: number; peak: number } {
  let running = 0;
  const model = {
    modelName: "counting-vision",
    calls: 0,
    peak: 0,
    async describeImage(): Promise<string> {
      model.calls++;
      running++;
      model.peak = Math.max(model.peak, running);
      await new Promise((resolve) => setTimeout(resolve, 20));
      running--;
      return `description ${model.calls}`;
    },
  };
  return model;
}

const bytesPart = (type: "image" | "email", data: Uint8Array, name?: string): Part => ({ type, source: { kind: "bytes", data }, ...(name === undefined ? {} : { name }) }) as Part;

async function errorOf(run: () => Promise<unknown>): Promise<OmnimemError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof OmnimemError) return error;
    throw error;
  }
  throw new Error("expected an OmnimemError");
}

describe("PartParser: max_concurrency bounds model calls, not parses", () => {
  it("parses emails whose attachments call the model, never running more model calls than the bound", async () => {
    const png = await imageWithText("PHOTO", { format: "png" });
    const emails = await Promise.all(
      ["one", "two", "three"].map((subject) =>
        emlWithAttachment({
          subject,
          body: `Photos for ${subject}`,
          attachments: [
            { filename: `${subject}-a.png`, contentType: "image/png", content: png },
            { filename: `${subject}-b.png`, contentType: "image/png", content: png },
          ],
        }),
      ),
    );
    const vision = countingVision();
    const parser = partParser({ vision, maxConcurrency: 2 });
    const { texts, reports } = await parser.parseMessages([
      { index: 0, parts: [...emails.map((eml, i) => bytesPart("email", eml, `mail-${i}.eml`)), bytesPart("image", png), bytesPart("image", png)] },
    ]);
    expect(reports.map((report) => report.parseStatus)).toEqual(["ok", "ok", "ok", "ok", "ok"]);
    expect(vision.calls).toBe(8);
    expect(vision.peak).toBe(2);
    expect(texts[0]).toContain("Subject: one");
    expect(texts[0]).toContain("description");
  }, 20_000);

  it("parses an email with an image attachment through the model at max_concurrency 1", async () => {
    const png = await imageWithText("RECEIPT", { format: "png" });
    const eml = await emlWithAttachment({ subject: "Receipt", body: "See attached", attachments: [{ filename: "r.png", contentType: "image/png", content: png }] });
    const vision = countingVision();
    const { reports } = await partParser({ vision, maxConcurrency: 1 }).parseMessages([{ index: 0, parts: [bytesPart("email", eml, "r.eml")] }]);
    expect(reports[0]).toMatchObject({ parseStatus: "ok" });
    expect(vision.calls).toBe(1);
  }, 20_000);
});

describe("PartParser: loading is bounded", () => {
  let server: Server;
  let baseUrl = "";
  let inFlight = 0;
  let peak = 0;
  let requests = 0;
  const body = new TextEncoder().encode("a plain text note that is served over http\n");

  beforeAll(async () => {
    server = createServer((_request, response) => {
      requests++;
      inFlight++;
      peak = Math.max(peak, inFlight);
      // Held open a moment, so loads that are allowed to overlap do overlap.
      setTimeout(() => {
        inFlight--;
        response.writeHead(200, { "content-type": "text/plain" }).end(body);
      }, 30);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  const urlPart = (i: number): Part => ({ type: "doc", source: { kind: "url", url: `${baseUrl}/note-${i}.txt` }, ext: "txt" }) as Part;

  it(`fetches at most ${LOADS_AT_ONCE} URLs of a batch at once, and all of them`, async () => {
    peak = 0;
    requests = 0;
    const parser = partParser({ load: { ...DEFAULT_LOAD_OPTIONS, allowPrivateHosts: true } });
    const { reports } = await parser.parseMessages([
      { index: 0, parts: Array.from({ length: 6 }, (_, i) => urlPart(i)) },
      { index: 1, parts: Array.from({ length: 6 }, (_, i) => urlPart(6 + i)) },
    ]);
    expect(reports).toHaveLength(12);
    expect(requests).toBe(12);
    expect(peak).toBe(LOADS_AT_ONCE);
  });

  it("refuses a batch whose items together pass max_request_bytes with FILE_TOO_LARGE, and stops loading", async () => {
    requests = 0;
    const parser = partParser({ load: { ...DEFAULT_LOAD_OPTIONS, allowPrivateHosts: true }, maxRequestBytes: body.byteLength * 2 });
    const error = await errorOf(() => parser.parseMessages([{ index: 0, parts: Array.from({ length: 12 }, (_, i) => urlPart(i)) }]));
    expect(error.code).toBe("FILE_TOO_LARGE");
    expect(error.message).toMatch(/max_request_bytes/);
    expect(error.details).toMatchObject({ reason: "max-request-bytes", maxRequestBytes: body.byteLength * 2 });
    expect(requests).toBeLessThan(12);
  });

  it("counts inline payloads against the same total, and accepts a batch exactly at it", async () => {
    const item = (text: string): Part => ({ type: "doc", source: { kind: "base64", data: Buffer.from(text).toString("base64") }, ext: "txt" }) as Part;
    const parser = partParser({ maxRequestBytes: 30 });
    const fits = await parser.parseMessages([{ index: 0, parts: [item("0123456789"), item("abcdefghij"), item("ABCDEFGHIJ")] }]);
    expect(fits.reports.map((report) => report.bytes)).toEqual([10, 10, 10]);
    const error = await errorOf(() => parser.parseMessages([{ index: 0, parts: [item("0123456789"), item("abcdefghij"), item("ABCDEFGHIJK")] }]));
    expect(error.code).toBe("FILE_TOO_LARGE");
    expect(error.details?.reason).toBe("max-request-bytes");
  });
});

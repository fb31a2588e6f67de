import http from "node:http";
import type { AddressInfo } from "node:net";

import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { startFakeOpenAI, type FakeOpenAIServer, type JsonValue } from "../../../test/support/fake-openai-server.js";
import {
  animatedGifWithText,
  encodeBmp,
  foldText,
  imageWithText,
  pngPixelBomb,
  sniffedAs,
  svgWithText,
  testParseContext,
  type FixtureImageFormat,
} from "../../../test/support/fixtures/index.js";
import { TesseractOcr } from "../../providers/ocr/tesseract-ocr.js";
import { DEFAULT_IMAGE_PROMPT, OpenAICompatibleVisionModel } from "../../providers/vision/vision-model.js";
import { CapabilityUnavailableError, InvalidImageError, ProviderError } from "../../spec/errors.js";
import type { ParseOutput } from "../../spec/parser.js";
import { ImageParser } from "./image-parser.js";
import { normalizeImage } from "./normalize-image.js";

let server: FakeOpenAIServer;
let ocr: TesseractOcr;
const parser = new ImageParser();

beforeAll(async () => {
  server = await startFakeOpenAI();
  ocr = new TesseractOcr({ idleTimeoutMs: 0 });
});

afterAll(async () => {
  await ocr.close();
  await server.close();
});

beforeEach(() => {
  server.reset();
});

function vision(): OpenAICompatibleVisionModel {
  return new OpenAICompatibleVisionModel({ baseURL: server.baseURL, model: "fake-vision-model", retryBaseDelayMs: 1, maxRetries: 1 });
}

function parse(bytes: Uint8Array, format: string, context = testParseContext({ ocr })): Promise<ParseOutput> {
  return parser.parse({ bytes, format: sniffedAs(format), name: `fixture.${format}` }, context);
}

/** The image the fake server received, decoded from its data: URI. */
function sentImage(): { mediaType: string; bytes: Buffer } {
  const body = server.chatRequests()[0];
  const user = (body?.messages ?? []).find((message) => (message as { role?: string }).role === "user") as { content?: JsonValue } | undefined;
  const parts = Array.isArray(user?.content) ? (user.content as { type?: string; image_url?: { url?: string } }[]) : [];
  const url = parts.find((part) => part.type === "image_url")?.image_url?.url ?? "";
  const match = /^data:([^;]+);base64,(.*)$/s.exec(url);
  if (match === null) throw new Error(`no data: URI image part in the request: ${url.slice(0, 40)}`);
  return { mediaType: match[1] ?? "", bytes: Buffer.from(match[2] ?? "", "base64") };
}

describe("ImageParser with a vision model", () => {
  it("sends the normalised image as an image_url part to the configured model", async () => {
    server.chat.enqueue("A sign that reads: Quarterly Report 2024");
    const png = await imageWithText("Quarterly Report 2024");
    const output = await parse(png, "png", testParseContext({ vision: vision(), ocr }));

    expect(output).toEqual({ text: "A sign that reads: Quarterly Report 2024", parser: "image/vision" });
    const [body] = server.chatRequests();
    expect(body?.model).toBe("fake-vision-model");
    const image = sentImage();
    expect(image.mediaType).toBe("image/png");
    const metadata = await sharp(image.bytes).metadata();
    expect(metadata.format).toBe("png");
    // The prompt travels as text; the image never does.
    const serialized = JSON.stringify(body);
    expect(serialized).toContain(JSON.stringify(DEFAULT_IMAGE_PROMPT).slice(1, 40));
    expect(serialized.split("data:image/png;base64,")).toHaveLength(2);
  });

  it.each<FixtureImageFormat>(["jpg", "gif", "webp", "tiff", "bmp", "svg"])("normalises %s to PNG", async (format) => {
    server.chat.enqueue("seen");
    const bytes = await imageWithText("Format check", { format });
    const output = await parse(bytes, format, testParseContext({ vision: vision() }));
    expect(output.parser).toBe("image/vision");
    const image = sentImage();
    expect(image.mediaType).toBe("image/png");
    const metadata = await sharp(image.bytes).metadata();
    expect(metadata.format).toBe("png");
    expect(Math.max(metadata.width ?? 0, metadata.height ?? 0)).toBeLessThanOrEqual(2048);
    expect(metadata.hasAlpha).toBe(false);
  });

  it("fits large images inside 2048 px", async () => {
    server.chat.enqueue("big");
    const big = await sharp({ create: { width: 5000, height: 1000, channels: 3, background: "white" } }).jpeg().toBuffer();
    await parse(new Uint8Array(big), "jpg", testParseContext({ vision: vision() }));
    const metadata = await sharp(sentImage().bytes).metadata();
    expect([metadata.width, metadata.height]).toEqual([2048, 410]);
  });

  it("lets a model failure through as a ProviderError (the pipeline marks the part failed)", async () => {
    server.failNext("chat", { status: 500 }, 2);
    const png = await imageWithText("x");
    await expect(parse(png, "png", testParseContext({ vision: vision(), ocr }))).rejects.toBeInstanceOf(ProviderError);
  });
});

describe("ImageParser with local OCR", () => {
  it("finds the rendered text in a PNG", async () => {
    const output = await parse(await imageWithText("Quarterly Report 2024\nRevenue grew by 12 percent"), "png");
    expect(output.parser).toBe("image/ocr");
    expect(foldText(output.text)).toContain("quarterly report 2024");
    expect(foldText(output.text)).toContain("revenue grew by 12 percent");
  });

  it("reads a JPEG and a BMP (decoded by our own reader)", async () => {
    const jpg = await parse(await imageWithText("Lisbon harbour at dawn", { format: "jpg" }), "jpg");
    expect(foldText(jpg.text)).toContain("lisbon harbour at dawn");
    const bmp = await parse(await imageWithText("Bitmap files work too", { format: "bmp" }), "bmp");
    expect(foldText(bmp.text)).toContain("bitmap files work too");
  });

  it("reads only the first frame of an animated GIF", async () => {
    const gif = await animatedGifWithText(["FIRST FRAME ONLY", "SECOND FRAME HIDDEN"]);
    expect((await sharp(gif, { pages: -1 }).metadata()).pages).toBe(2);
    const output = await parse(gif, "gif");
    expect(foldText(output.text)).toContain("first frame only");
    expect(foldText(output.text)).not.toContain("second");
  });

  it("rasterises an SVG without fetching its external references", async () => {
    let hits = 0;
    const listener = http.createServer((_request, response) => {
      hits++;
      response.writeHead(200, { "content-type": "image/png" }).end();
    });
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    const port = (listener.address() as AddressInfo).port;
    try {
      const extra = [
        `<image href="http://127.0.0.1:${port}/a.png" x="0" y="0" width="100" height="100"/>`,
        `<image xlink:href="http://127.0.0.1:${port}/b.png" x="0" y="0" width="100" height="100"/>`,
        `<image href="http://127.0.0.1:1/x.png" width="10" height="10"/>`,
        `<image href="file:///etc/passwd" width="10" height="10"/>`,
        `<use href="http://127.0.0.1:${port}/sprite.svg#icon"/>`,
        `<style>@import url(http://127.0.0.1:${port}/style.css); rect { fill: url(http://127.0.0.1:${port}/p.svg#p) }</style>`,
      ].join("");
      const svg = `<?xml version="1.0"?><?xml-stylesheet href="http://127.0.0.1:${port}/s.css"?>` + svgWithText("Vector Graphics Text", { extra });
      const output = await parse(new Uint8Array(Buffer.from(svg)), "svg");
      expect(foldText(output.text)).toContain("vector graphics text");
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(hits).toBe(0);
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  });

  it("keeps an SVG's embedded data: image", async () => {
    const red = (await sharp({ create: { width: 4, height: 4, channels: 3, background: "#ff0000" } }).png().toBuffer()).toString("base64");
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><rect width="200" height="100" fill="white"/><image href="data:image/png;base64,${red}" x="0" y="0" width="100" height="100"/></svg>`;
    const image = await normalizeImage(new Uint8Array(Buffer.from(svg)), { format: "svg", maxPixels: 60_000_000 });
    // 200×100 is upscaled to 1024 wide; the left half is the red picture, the right half white.
    expect([image.width, image.height]).toEqual([1024, 512]);
    const { data, info } = await sharp(image.png).raw().toBuffer({ resolveWithObject: true });
    const pixel = (x: number, y: number): number[] => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)];
    expect(pixel(256, 256)).toEqual([255, 0, 0]);
    expect(pixel(768, 256)).toEqual([255, 255, 255]);
  });
});

describe("ImageParser refusals", () => {
  it("needs a vision model or OCR: CAPABILITY_UNAVAILABLE, 415 during a parse", async () => {
    const error = await parse(await imageWithText("x"), "png", testParseContext()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CapabilityUnavailableError);
    const capability = error as CapabilityUnavailableError;
    expect(capability.code).toBe("CAPABILITY_UNAVAILABLE");
    expect(capability.httpStatus).toBe(415);
    expect(capability.message).toMatch(/multimodal/);
    expect(capability.message).toMatch(/OCR/);
  });

  it("refuses a decompression bomb with INVALID_IMAGE", async () => {
    const bomb = pngPixelBomb(20_000, 20_000);
    expect(bomb.length).toBeLessThan(200_000);
    const error = await parse(bomb, "png", testParseContext({ ocr, limits: { maxImagePixels: 50_000_000 } })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidImageError);
    expect((error as InvalidImageError).code).toBe("INVALID_IMAGE");
    expect((error as InvalidImageError).details).toMatchObject({ reason: "pixel-limit" });
  });

  it("refuses a BMP whose header claims too many pixels before allocating them", async () => {
    const bmp = Buffer.from(encodeBmp(new Uint8Array(3 * 4), 2, 2));
    bmp.writeInt32LE(100_000, 18);
    bmp.writeInt32LE(100_000, 22);
    const error = await parse(new Uint8Array(bmp), "bmp").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidImageError);
    expect((error as InvalidImageError).details).toMatchObject({ reason: "pixel-limit" });
  });

  it.each([
    ["png", () => new Uint8Array(Buffer.from("\x89PNG\r\n\x1a\nthis is not really a png", "latin1"))],
    ["jpg", () => new Uint8Array(Buffer.from("not an image at all"))],
    ["gif", () => new Uint8Array(Buffer.from("GIF89a\x01\x00", "latin1"))],
    ["bmp", () => new Uint8Array(Buffer.from("BM\x00\x00", "latin1"))],
    ["svg", () => new Uint8Array(Buffer.from("<svg xmlns='http://www.w3.org/2000/svg'><rect"))],
    ["png", () => new Uint8Array(0)],
  ])("refuses corrupt %s bytes with INVALID_IMAGE", async (format, bytes) => {
    const error = await parse(bytes(), format).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidImageError);
    expect((error as InvalidImageError).httpStatus).toBe(415);
  });

  it("refuses a truncated PNG with INVALID_IMAGE", async () => {
    const png = await imageWithText("truncated");
    const error = await parse(png.subarray(0, Math.floor(png.length / 2)), "png").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidImageError);
  });

  // libvips' own words ("vipspng: libpng read error", "VipsJpeg: premature end of JPEG image")
  // name the library and its internals; the user gets the project's message, logs keep the cause.
  it.each([
    ["png", "a truncated PNG", async () => (await imageWithText("truncated")).subarray(0, 600)],
    ["png", "a PNG cut inside its header", async () => (await imageWithText("truncated")).subarray(0, 40)],
    ["jpg", "a truncated JPEG", async () => {
      const jpeg = await sharp(Buffer.from(await imageWithText("cut"))).jpeg().toBuffer();
      return new Uint8Array(jpeg.subarray(0, Math.floor(jpeg.length / 2)));
    }],
    ["gif", "a GIF with no image data", async () => new Uint8Array(Buffer.from("GIF89a\x01\x00\x01\x00\x00\x00\x00", "latin1"))],
  ])("says %s (%s) is truncated or corrupt without libvips' text, keeping it as the cause", async (format, _what, bytes) => {
    const error = await parse(await bytes(), format, testParseContext({ ocr })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidImageError);
    const invalid = error as InvalidImageError;
    expect(invalid.message).toBe(`the ${format} image is truncated or corrupt`);
    expect(invalid.message).not.toMatch(/vips|libpng|jpeg image|gifload|buffer|target/i);
    expect(invalid.details).toMatchObject({ reason: "corrupt", format });
    expect((invalid.cause as Error).message.length).toBeGreaterThan(0);
  });

  it("refuses an SVG that declares entities", async () => {
    const svg = `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&b;</text></svg>`;
    const error = await parse(new Uint8Array(Buffer.from(svg)), "svg").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidImageError);
    expect((error as InvalidImageError).details).toMatchObject({ reason: "svg-entities" });
  });

  it("renders an SVG that declares a huge canvas at a bounded size instead of allocating it", async () => {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"><rect width="100%" height="100%" fill="black"/></svg>`;
    const image = await normalizeImage(new Uint8Array(Buffer.from(svg)), { format: "svg", maxPixels: 60_000_000 });
    expect([image.width, image.height]).toEqual([2048, 2048]);
  });
});

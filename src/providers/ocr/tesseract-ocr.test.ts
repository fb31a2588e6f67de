import { existsSync } from "node:fs";
import path from "node:path";

import type { Page } from "tesseract.js";
import { afterEach, describe, expect, it } from "vitest";

import { foldText, imageWithText } from "../../../test/support/fixtures/index.js";
import { CapabilityUnavailableError, InvalidImageError } from "../../spec/errors.js";
import { bundledEnglishLangPath, confidentText, TesseractOcr } from "./tesseract-ocr.js";

const engines: TesseractOcr[] = [];

function engine(options: ConstructorParameters<typeof TesseractOcr>[0] = {}): TesseractOcr {
  const created = new TesseractOcr(options);
  engines.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(engines.splice(0).map((created) => created.close()));
});

describe("TesseractOcr", () => {
  it("uses the English model installed from npm (nothing downloaded)", () => {
    const langPath = bundledEnglishLangPath();
    expect(langPath).toBeDefined();
    expect(existsSync(path.join(langPath as string, "eng.traineddata.gz"))).toBe(true);
  });

  it("starts its pool lazily, reads text, and writes no cache file", async () => {
    const ocr = engine({ workers: 1 });
    expect(ocr.started).toBe(false);
    const text = await ocr.recognize(await imageWithText("Meeting moved to Thursday"));
    expect(ocr.started).toBe(true);
    expect(foldText(text)).toContain("meeting moved to thursday");
    expect(existsSync(path.join(process.cwd(), "eng.traineddata"))).toBe(false);
  });

  it("runs several jobs through the pool and keeps the event loop free", async () => {
    const ocr = engine({ workers: 2 });
    const images = await Promise.all(["Alpha invoice 101", "Bravo invoice 202", "Charlie invoice 303"].map((text) => imageWithText(text)));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const texts = await Promise.all(images.map((image) => ocr.recognize(image)));
    clearInterval(timer);
    expect(texts.map(foldText)).toEqual([
      expect.stringContaining("alpha invoice 101"),
      expect.stringContaining("bravo invoice 202"),
      expect.stringContaining("charlie invoice 303"),
    ]);
    // Recognition happened in worker threads: timers kept firing meanwhile.
    expect(ticks).toBeGreaterThan(3);
  });

  it("refuses bytes that are not an image", async () => {
    const ocr = engine({ workers: 1 });
    await expect(ocr.recognize(new Uint8Array(Buffer.from("definitely not an image")))).rejects.toBeInstanceOf(InvalidImageError);
    // The pool survives a bad job.
    expect(foldText(await ocr.recognize(await imageWithText("Still working")))).toContain("still working");
  });

  it("fails after close() and stops its workers", async () => {
    const ocr = engine({ workers: 1 });
    await ocr.recognize(await imageWithText("one"));
    await ocr.close();
    expect(ocr.started).toBe(false);
    await expect(ocr.recognize(await imageWithText("two"))).rejects.toBeInstanceOf(CapabilityUnavailableError);
  });

  it("rejects a call that was waiting for the pool when close() ran", async () => {
    const ocr = engine({ workers: 1 });
    const pending = ocr.recognize(await imageWithText("too late"));
    await ocr.close();
    await expect(pending).rejects.toBeInstanceOf(CapabilityUnavailableError);
  });

  it("stops an idle pool and starts it again on demand", async () => {
    const ocr = engine({ workers: 1, idleTimeoutMs: 50 });
    await ocr.recognize(await imageWithText("first"));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ocr.started).toBe(false);
    expect(foldText(await ocr.recognize(await imageWithText("Second round")))).toContain("second round");
  });

  it("says what is missing when the language data cannot be found", async () => {
    const ocr = engine({ workers: 1, langPath: "/nonexistent/tessdata" });
    const error = await ocr.recognize(await imageWithText("x")).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CapabilityUnavailableError);
    expect((error as Error).message).toContain("/nonexistent/tessdata");
  });

  it("stops waiting when aborted", async () => {
    const ocr = engine({ workers: 1 });
    const controller = new AbortController();
    const pending = ocr.recognize(await imageWithText("never mind"), controller.signal);
    controller.abort(new Error("caller gave up"));
    await expect(pending).rejects.toThrow("caller gave up");
  });
});

describe("confidentText", () => {
  const page = (paragraphs: { text: string; confidence: number }[][]): Page =>
    ({
      text: "raw",
      blocks: [{ paragraphs: paragraphs.map((lines) => ({ lines })) }],
    }) as unknown as Page;

  it("drops unconfident lines and keeps paragraphs apart", () => {
    const text = confidentText(
      page([
        [
          { text: "Dear Alice,  \n", confidence: 91 },
          { text: "— 9% x . 4\n", confidence: 10 },
        ],
        [{ text: "See you on Monday.\n", confidence: 88 }],
        [{ text: "“\\ / ’ :\n", confidence: 31 }],
      ]),
      40,
    );
    expect(text).toBe("Dear Alice,\n\nSee you on Monday.");
  });

  it("falls back to the plain text without blocks", () => {
    expect(confidentText({ text: " plain  \n", blocks: null } as unknown as Page, 40)).toBe("plain");
  });
});

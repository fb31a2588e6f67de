import { describe, expect, it } from "vitest";
import type { SourcePartWire } from "../spec/http.js";
import { parserLabel, sourceFiles } from "./format.js";

const part = (extra: Partial<SourcePartWire>): SourcePartWire => ({ type: "image", format: "png", parser: "image/ocr", sha256: "ab".repeat(32), bytes: 10, ...extra });

describe("which parser read a memory's files, as the page shows it", () => {
  it("names the parser for people, with the model or engine that read the file", () => {
    expect(parserLabel({ parser: "image/ocr", model: "tesseract.js" })).toBe("OCR (tesseract.js)");
    expect(parserLabel({ parser: "image/vision", model: "gpt-4o-mini" })).toBe("vision model (gpt-4o-mini)");
    expect(parserLabel({ parser: "pdf/text-layer+ocr", model: "tesseract.js" })).toBe("PDF text layer + OCR (tesseract.js)");
    expect(parserLabel({ parser: "office/docx" })).toBe("docx extractor");
    expect(parserLabel({ parser: "html/markdown" })).toBe("HTML to markdown");
    expect(parserLabel({ parser: "audio/transcription", model: "openai-compatible/whisper-1" })).toBe("transcription (openai-compatible/whisper-1)");
    // One this page does not know keeps its id.
    expect(parserLabel({ parser: "scanner/magic" })).toBe("scanner/magic");
  });

  it("pairs each labelled file of the text with its source part by name and type, and lists unlabelled ones after", () => {
    const receipt = part({ name: "receipt.png" });
    const other = part({ name: "other.png", parser: "image/vision", model: "m" });
    const memo = part({ type: "pdf", format: "pdf", name: "memo.pdf", parser: "pdf/text-layer" });
    const text = "ada (user): look\n[image: other.png]\nA CAT\n[image: receipt.png]\nTOTAL 42";
    const files = sourceFiles(text, [receipt, memo, other]);
    expect(files.map((file) => [file.name, file.text, file.source?.parser])).toEqual([
      ["other.png", "A CAT", "image/vision"],
      ["receipt.png", "TOTAL 42", "image/ocr"],
      ["memo.pdf", undefined, "pdf/text-layer"],
    ]);
    // Text from before source parts were kept: the labels alone.
    expect(sourceFiles(text).map((file) => [file.name, file.source])).toEqual([
      ["other.png", undefined],
      ["receipt.png", undefined],
    ]);
  });
});

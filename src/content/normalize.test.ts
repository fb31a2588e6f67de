import { describe, expect, it } from "vitest";
import { OmnimemError, UnsupportedFormatError, UriRejectedError, ValidationError } from "../spec/errors.js";
import { normalizeContent } from "./normalize.js";

function errorOf(run: () => unknown): OmnimemError {
  try {
    run();
  } catch (error) {
    if (error instanceof OmnimemError) return error;
    throw error;
  }
  throw new Error("expected an OmnimemError");
}

const PNG_DATA_URI = "data:image/png;base64,iVBORw0KGgo=";

describe("normalizeContent: accepted shapes", () => {
  it("turns a string into one text part", () => {
    expect(normalizeContent("hello", "messages[0].content")).toEqual([{ type: "text", text: "hello" }]);
  });

  it("accepts Mem0's single-object image_url with an http(s) URL", () => {
    expect(normalizeContent({ type: "image_url", image_url: { url: "https://example.com/cat.png" } }, "m")).toEqual([
      { type: "image", source: { kind: "url", url: "https://example.com/cat.png" } },
    ]);
  });

  it("accepts image_url as a plain string and a data: URI", () => {
    expect(normalizeContent({ type: "image_url", image_url: PNG_DATA_URI }, "m")).toEqual([
      { type: "image", source: { kind: "url", url: PNG_DATA_URI } },
    ]);
  });

  it("accepts an OpenAI content array mixing text, image_url, input_audio and file", () => {
    const parts = normalizeContent(
      [
        { type: "text", text: "look" },
        { type: "image_url", image_url: { url: "http://example.com/a.jpg", detail: "high" } },
        { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } },
        { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0=", filename: "report.pdf" } },
        { type: "file", file: { file_data: "JVBERi0=", filename: "notes.docx" } },
      ],
      "messages[2].content",
    );
    expect(parts).toEqual([
      { type: "text", text: "look" },
      { type: "image", source: { kind: "url", url: "http://example.com/a.jpg" } },
      { type: "audio", source: { kind: "base64", data: "UklGRg==" }, ext: "wav" },
      { type: "pdf", source: { kind: "url", url: "data:application/pdf;base64,JVBERi0=" }, ext: "pdf", name: "report.pdf" },
      { type: "doc", source: { kind: "base64", data: "JVBERi0=" }, ext: "docx", name: "notes.docx" },
    ]);
  });

  it("maps input_audio formats to extensions", () => {
    expect(normalizeContent({ type: "input_audio", input_audio: { data: "SUQz", format: "mp3" } }, "m")[0]).toMatchObject({ ext: "mp3" });
  });

  it("guesses a file part's modality from its data URI media type when the name has no extension", () => {
    expect(normalizeContent({ type: "file", file: { file_data: "data:image/png;base64,iVBORw0KGgo=" } }, "m")[0]).toMatchObject({ type: "image" });
  });

  it("accepts EverOS ContentItems with uri or base64, ext and name", () => {
    const parts = normalizeContent(
      [
        { type: "text", text: "see attached" },
        { type: "pdf", uri: "https://example.com/r.pdf", name: "r.pdf" },
        { type: "image", base64: "iVBORw0KGgo=", ext: ".PNG" },
        { type: "audio", uri: "file:///srv/uploads/call.mp3" },
        { type: "doc", base64: "UEsDBA==", ext: "docx", name: "plan.docx" },
        { type: "html", uri: "https://example.com/" },
        { type: "email", base64: "RnJvbTo=", name: "thread.eml" },
      ],
      "messages[0].content",
    );
    expect(parts).toEqual([
      { type: "text", text: "see attached" },
      { type: "pdf", source: { kind: "url", url: "https://example.com/r.pdf" }, ext: "pdf", name: "r.pdf" },
      { type: "image", source: { kind: "base64", data: "iVBORw0KGgo=" }, ext: "png" },
      { type: "audio", source: { kind: "url", url: "file:///srv/uploads/call.mp3" } },
      { type: "doc", source: { kind: "base64", data: "UEsDBA==" }, ext: "docx", name: "plan.docx" },
      { type: "html", source: { kind: "url", url: "https://example.com/" } },
      { type: "email", source: { kind: "base64", data: "RnJvbTo=" }, ext: "eml", name: "thread.eml" },
    ]);
  });

  it("treats a data: URI in an EverOS base64 field as a URL", () => {
    expect(normalizeContent({ type: "image", base64: PNG_DATA_URI }, "m")[0]).toEqual({ type: "image", source: { kind: "url", url: PNG_DATA_URI } });
  });

  it("accepts raw bytes from library users (Uint8Array, Buffer, ArrayBuffer)", () => {
    const data = new Uint8Array([0x25, 0x50, 0x44, 0x46]);
    expect(normalizeContent({ type: "pdf", data, mediaType: "application/pdf", name: "a.pdf" }, "m")).toEqual([
      { type: "pdf", source: { kind: "bytes", data }, mediaType: "application/pdf", ext: "pdf", name: "a.pdf" },
    ]);
    const fromBuffer = normalizeContent({ type: "image", data: Buffer.from([1, 2, 3]) }, "m")[0];
    expect(fromBuffer).toMatchObject({ type: "image", source: { kind: "bytes" } });
    const fromArrayBuffer = normalizeContent({ type: "audio", data: new Uint8Array([1, 2]).buffer }, "m")[0];
    expect(fromArrayBuffer).toMatchObject({ type: "audio", source: { kind: "bytes", data: new Uint8Array([1, 2]) } });
  });

  it("accepts the AI SDK's image and file parts", () => {
    const bytes = new Uint8Array([0xff, 0xd8, 0xff]);
    expect(normalizeContent({ type: "image", image: bytes, mediaType: "image/jpeg" }, "m")[0]).toEqual({
      type: "image",
      source: { kind: "bytes", data: bytes },
      mediaType: "image/jpeg",
    });
    expect(normalizeContent({ type: "file", data: bytes, mediaType: "application/pdf", filename: "x.pdf" }, "m")[0]).toEqual({
      type: "pdf",
      source: { kind: "bytes", data: bytes },
      mediaType: "application/pdf",
      ext: "pdf",
      name: "x.pdf",
    });
    expect(normalizeContent({ type: "image", image: new URL("https://example.com/x.png") }, "m")[0]).toEqual({
      type: "image",
      source: { kind: "url", url: "https://example.com/x.png" },
    });
  });

  it("accepts OpenAI Responses API input_text / input_image / input_file", () => {
    expect(
      normalizeContent(
        [
          { type: "input_text", text: "hi" },
          { type: "input_image", image_url: "https://example.com/a.png" },
          { type: "input_file", file_data: "data:application/pdf;base64,JVBERi0=", filename: "a.pdf" },
        ],
        "m",
      ),
    ).toEqual([
      { type: "text", text: "hi" },
      { type: "image", source: { kind: "url", url: "https://example.com/a.png" } },
      { type: "pdf", source: { kind: "url", url: "data:application/pdf;base64,JVBERi0=" }, ext: "pdf", name: "a.pdf" },
    ]);
  });

  it("accepts bare strings inside a content array as text", () => {
    expect(normalizeContent(["a", { type: "text", text: "b" }], "m")).toEqual([
      { type: "text", text: "a" },
      { type: "text", text: "b" },
    ]);
  });

  it("normalizes media types to their essence", () => {
    expect(normalizeContent({ type: "image", base64: "AAAA", mime_type: "Image/PNG; q=1" }, "m")[0]).toMatchObject({ mediaType: "image/png" });
  });
});

describe("normalizeContent: errors carry the item's path", () => {
  it("rejects both text and uri with INVALID_INPUT 422", () => {
    const error = errorOf(() => normalizeContent([{ type: "text", text: "x" }, { type: "image", uri: "https://e.com/a.png", base64: "AAAA" }], "messages[0].content"));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.httpStatus).toBe(422);
    expect(error.details?.path).toBe("messages[0].content[1]");
    expect(error.message).toContain("exactly one");
  });

  it("rejects an item with no payload", () => {
    const error = errorOf(() => normalizeContent([{ type: "pdf", name: "a.pdf" }], "messages[3].content"));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.details?.path).toBe("messages[3].content[0]");
  });

  it("rejects text plus base64 on a text item", () => {
    const error = errorOf(() => normalizeContent({ type: "text", text: "a", base64: "AAAA" }, "messages[0].content"));
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.details?.path).toBe("messages[0].content");
  });

  it("answers 415 UNSUPPORTED_FORMAT for a non-text item that carries only text", () => {
    const error = errorOf(() => normalizeContent([{ type: "text", text: "ok" }, { type: "image", text: "a picture of a cat" }], "messages[1].content"));
    expect(error).toBeInstanceOf(UnsupportedFormatError);
    expect(error.httpStatus).toBe(415);
    expect(error.details?.path).toBe("messages[1].content[1]");
  });

  it("rejects an unknown type with 422", () => {
    const error = errorOf(() => normalizeContent([{ type: "video", uri: "https://e.com/v.mp4" }], "messages[0].content"));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.details).toMatchObject({ path: "messages[0].content[0]", field: "type" });
    expect(error.message).toContain('"video"');
  });

  it("rejects items without a type, non-objects, and bad content values", () => {
    expect(errorOf(() => normalizeContent([{ text: "x" }], "c")).details?.path).toBe("c[0]");
    expect(errorOf(() => normalizeContent([42], "c")).details?.path).toBe("c[0]");
    expect(errorOf(() => normalizeContent(null, "messages[5].content")).details?.path).toBe("messages[5].content");
    expect(errorOf(() => normalizeContent(7, "c")).code).toBe("INVALID_INPUT");
  });

  it("rejects malformed image_url shapes", () => {
    expect(errorOf(() => normalizeContent({ type: "image_url", image_url: { href: "x" } }, "c")).details).toMatchObject({ path: "c", field: "image_url.url" });
    expect(errorOf(() => normalizeContent({ type: "image_url", image_url: 5 }, "c")).code).toBe("INVALID_INPUT");
    expect(errorOf(() => normalizeContent({ type: "image_url", image_url: { url: "not a url" } }, "c")).code).toBe("INVALID_INPUT");
    expect(errorOf(() => normalizeContent({ type: "image_url", image_url: { url: "data:image/png;base64" } }, "c")).code).toBe("INVALID_INPUT");
  });

  it("rejects URL schemes other than http(s), data: and file: with URI_REJECTED", () => {
    const error = errorOf(() => normalizeContent([{ type: "pdf", uri: "ftp://example.com/a.pdf" }], "m[0].content"));
    expect(error).toBeInstanceOf(UriRejectedError);
    expect(error.details?.path).toBe("m[0].content[0]");
  });

  it("rejects malformed input_audio and file parts", () => {
    expect(errorOf(() => normalizeContent({ type: "input_audio", input_audio: "abc" }, "c")).code).toBe("INVALID_INPUT");
    expect(errorOf(() => normalizeContent({ type: "input_audio", input_audio: { format: "wav" } }, "c")).details?.field).toBe("input_audio.data");
    expect(errorOf(() => normalizeContent({ type: "file", file: { file_id: "file-abc" } }, "c")).message).toContain("file_id");
    expect(errorOf(() => normalizeContent({ type: "file", file: { file_data: 12 } }, "c")).code).toBe("INVALID_INPUT");
  });

  it("rejects wrongly typed fields", () => {
    expect(errorOf(() => normalizeContent({ type: "text", text: 5 }, "c")).code).toBe("INVALID_INPUT");
    expect(errorOf(() => normalizeContent({ type: "image", base64: "AAAA", ext: 3 }, "c")).details?.field).toBe("ext");
    expect(errorOf(() => normalizeContent({ type: "image", data: 12 }, "c")).code).toBe("INVALID_INPUT");
    expect(errorOf(() => normalizeContent({ type: "image", data: new Uint8Array() }, "c")).code).toBe("INVALID_INPUT");
    expect(errorOf(() => normalizeContent({ type: "image", base64: "  " }, "c")).code).toBe("INVALID_INPUT");
  });

  it("rejects a text item whose payload is a file", () => {
    expect(errorOf(() => normalizeContent({ type: "text", uri: "https://e.com/a.txt" }, "c")).code).toBe("INVALID_INPUT");
  });
});

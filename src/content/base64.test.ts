import { describe, expect, it } from "vitest";
import { FileSizeError, OmnimemError, ValidationError } from "../spec/errors.js";
import { decodeBase64Strict, decodeDataUri, parseDataUri } from "./base64.js";

function errorOf(run: () => unknown): OmnimemError {
  try {
    run();
  } catch (error) {
    if (error instanceof OmnimemError) return error;
    throw error;
  }
  throw new Error("expected an OmnimemError");
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString("latin1");

describe("decodeBase64Strict", () => {
  it("decodes standard base64 with and without padding", () => {
    expect(text(decodeBase64Strict("aGVsbG8="))).toBe("hello");
    expect(text(decodeBase64Strict("aGVsbG8"))).toBe("hello");
    expect(text(decodeBase64Strict("aGk="))).toBe("hi");
    expect(text(decodeBase64Strict("aGk"))).toBe("hi");
    expect(text(decodeBase64Strict("YWJj"))).toBe("abc");
  });

  it("tolerates MIME line breaks and spaces", () => {
    expect(text(decodeBase64Strict("aGVs\r\nbG8g\nd29y bGQ="))).toBe("hello world");
  });

  it("round-trips every byte value", () => {
    const all = new Uint8Array(256).map((_, index) => index);
    expect(decodeBase64Strict(Buffer.from(all).toString("base64"))).toEqual(all);
  });

  it.each([
    ["garbage characters", "hello world!!", "alphabet"],
    ["non-ASCII", "aGVsbG8é", "alphabet"],
    ["base64url alphabet", "a-b_", "base64url"],
    ["misplaced padding", "aG=Vs", "padding"],
    ["three '='", "aG===", "padding"],
    ["wrong padding count", "aGk==", "padding"],
    ["a dangling character", "aGVsb", "dangling"],
    ["non-canonical trailing bits", "aGl=", "non-canonical"],
    ["empty", "", "empty"],
    ["only whitespace", " \n ", "empty"],
  ])("rejects %s with INVALID_INPUT and a reason", (_label, input, reason) => {
    const error = errorOf(() => decodeBase64Strict(input, { path: "messages[0].content[1]" }));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.httpStatus).toBe(422);
    expect(error.message).toContain(reason);
    expect(error.details?.path).toBe("messages[0].content[1]");
  });

  it("refuses a payload over the cap before decoding it", () => {
    const error = errorOf(() => decodeBase64Strict(Buffer.alloc(1000).toString("base64"), { maxBytes: 999 }));
    expect(error).toBeInstanceOf(FileSizeError);
    expect(error.code).toBe("FILE_TOO_LARGE");
    expect(decodeBase64Strict(Buffer.alloc(1000).toString("base64"), { maxBytes: 1000 }).length).toBe(1000);
  });
});

describe("data: URIs", () => {
  it("parses the header", () => {
    expect(parseDataUri("data:image/PNG;name=a.png;base64,AAAA")).toEqual({ mediaType: "image/png", base64: true, payload: "AAAA" });
    expect(parseDataUri("data:,hello")).toEqual({ mediaType: undefined, base64: false, payload: "hello" });
  });

  it("decodes base64 data URIs strictly", () => {
    const decoded = decodeDataUri("data:text/plain;base64,aGVsbG8=");
    expect(text(decoded.bytes)).toBe("hello");
    expect(decoded.mediaType).toBe("text/plain");
    expect(errorOf(() => decodeDataUri("data:image/png;base64,@@@@")).code).toBe("INVALID_INPUT");
  });

  it("decodes percent-encoded data URIs byte by byte", () => {
    const decoded = decodeDataUri("data:image/svg+xml,%3Csvg%20xmlns%3D%22x%22%2F%3E");
    expect(text(decoded.bytes)).toBe('<svg xmlns="x"/>');
    expect(decoded.mediaType).toBe("image/svg+xml");
    expect(errorOf(() => decodeDataUri("data:text/plain,%zz")).code).toBe("INVALID_INPUT");
  });

  it("rejects malformed URIs", () => {
    expect(errorOf(() => parseDataUri("data:image/png;base64")).message).toContain("','");
    expect(errorOf(() => parseDataUri("data:not a type;base64,AAAA")).code).toBe("INVALID_INPUT");
    expect(errorOf(() => parseDataUri("http://x")).code).toBe("INVALID_INPUT");
  });

  it("applies the size cap", () => {
    expect(errorOf(() => decodeDataUri(`data:application/pdf;base64,${Buffer.alloc(64).toString("base64")}`, { maxBytes: 10 })).code).toBe("FILE_TOO_LARGE");
    expect(errorOf(() => decodeDataUri(`data:text/plain,${"a".repeat(64)}`, { maxBytes: 10 })).code).toBe("FILE_TOO_LARGE");
  });
});

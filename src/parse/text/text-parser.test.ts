import { describe, expect, it } from "vitest";

import { recordingContext } from "../../../test/support/fixtures/documents.js";
import { UnsupportedFormatError } from "../../spec/errors.js";
import type { ParseInput } from "../../spec/parser.js";
import { prettyJson, TextParser } from "./text-parser.js";

function input(format: string, bytes: Uint8Array | string): ParseInput {
  return {
    bytes: typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes,
    format: { format, mediaType: "text/plain", modality: "text" },
  };
}

describe("TextParser", () => {
  const parser = new TextParser();
  const { context } = recordingContext();

  it("handles txt md csv json", () => {
    expect(parser.formats).toEqual(["txt", "md", "csv", "json"]);
  });

  it("decodes UTF-8, drops the BOM and normalises line endings", async () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode("Grüße\r\nzweite Zeile\rdritte")]);
    const output = await parser.parse(input("txt", bytes), context);
    expect(output).toEqual({ text: "Grüße\nzweite Zeile\ndritte", parser: "text/utf8" });
  });

  it("keeps markdown and csv as they are", async () => {
    expect((await parser.parse(input("md", "# Title\n\n- a\n- b"), context)).text).toBe("# Title\n\n- a\n- b");
    expect((await parser.parse(input("csv", "name,age\nAnn,3\n"), context)).text).toBe("name,age\nAnn,3\n");
  });

  it("rejects bytes that are not UTF-8 with UNSUPPORTED_FORMAT", async () => {
    const latin1 = new Uint8Array([0x47, 0x72, 0xfc, 0xdf, 0x65]); // "Grüße" in ISO-8859-1
    await expect(parser.parse(input("txt", latin1), context)).rejects.toBeInstanceOf(UnsupportedFormatError);
    await expect(parser.parse(input("txt", latin1), context)).rejects.toMatchObject({ code: "UNSUPPORTED_FORMAT", httpStatus: 415 });
  });

  it("pretty-prints JSON that parses, keeping number spellings and strings exact", async () => {
    const output = await parser.parse(input("json", '{"id":12345678901234567890,"tags":["a, b",{}],"nested":{"x":[1,2.50],"s":"q\\"}:"}}'), context);
    expect(output.parser).toBe("text/json");
    expect(output.text).toBe(
      ["{", '  "id": 12345678901234567890,', '  "tags": [', '    "a, b",', "    {}", "  ],", '  "nested": {', '    "x": [', "      1,", "      2.50", "    ],", '    "s": "q\\"}:"', "  }", "}"].join("\n"),
    );
    expect(JSON.parse(output.text)).toEqual(JSON.parse('{"id":12345678901234567890,"tags":["a, b",{}],"nested":{"x":[1,2.50],"s":"q\\"}:"}}'));
  });

  it("keeps JSON that does not parse as plain text", async () => {
    const output = await parser.parse(input("json", "{not json"), context);
    expect(output).toEqual({ text: "{not json", parser: "text/utf8" });
    expect(prettyJson("[]")).toBe("[]");
    expect(prettyJson(' "x" ')).toBe('"x"');
  });
});

import { describe, expect, it } from "vitest";

import { htmlPage, recordingContext } from "../../../test/support/fixtures/documents.js";
import { FileSizeError } from "../../spec/errors.js";
import type { ParseInput } from "../../spec/parser.js";
import { HtmlParser } from "./html-parser.js";
import { decodeHtmlBytes, htmlToMarkdown } from "./html-to-markdown.js";

function input(html: string | Uint8Array): ParseInput {
  return {
    bytes: typeof html === "string" ? new TextEncoder().encode(html) : html,
    format: { format: "html", mediaType: "text/html", modality: "html" },
  };
}

const ARTICLE = `
<article>
  <header><h1>Tide tables</h1><p>By Ada</p></header>
  <p>High tide is at <strong>06:12</strong>; see <a href="https://example.com/tides?port=brest">the harbour office</a>.</p>
  <ul><li>Spring tides</li><li>Neap tides</li></ul>
  <table>
    <tr><th>Port</th><th>Height</th></tr>
    <tr><td>Brest</td><td>6.1 m</td></tr>
  </table>
  <img src="https://example.com/chart.png" alt="tide chart">
  <img src="data:image/png;base64,iVBORw0KGgo=" alt="inline chart">
  <p><a href="javascript:void(0)">Share</a> <a href="#top">Back to top</a></p>
  <div style="display: none">HIDDEN-PREHEADER</div>
</article>`;

describe("HtmlParser", () => {
  const parser = new HtmlParser();

  it("keeps the title and the content as markdown, with links", async () => {
    const { context } = recordingContext();
    const output = await parser.parse(input(htmlPage({ title: "Tides — Brest", content: ARTICLE })), context);
    expect(output.parser).toBe("html/markdown");
    const text = output.text;
    expect(text.startsWith("# Tides — Brest\n\n")).toBe(true);
    expect(text).toContain("# Tide tables");
    expect(text).toContain("By Ada");
    expect(text).toContain("High tide is at **06:12**; see [the harbour office](https://example.com/tides?port=brest).");
    expect(text).toMatch(/^- +Spring tides$/m);
    expect(text).toContain("| Port | Height |\n| --- | --- |\n| Brest | 6.1 m |");
    expect(text).toContain("![tide chart](https://example.com/chart.png)");
    expect(text).toContain("[image: inline chart]");
    expect(text).not.toContain("base64");
    expect(text).toContain("Share Back to top");
    expect(text).not.toContain("javascript:");
  });

  it("drops scripts, styles, noscript, navigation, page header and footer, asides, forms, iframes and hidden text", async () => {
    const { context } = recordingContext();
    const { text } = await parser.parse(input(htmlPage({ title: "Page", content: "<p>Body text</p>" })), context);
    expect(text).toContain("Body text");
    for (const dropped of [
      "SCRIPT-SECRET",
      "font-family",
      "NOSCRIPT-TEXT",
      "NAV-ABOUT",
      "NAV-BLOG",
      "Site logo",
      "ASIDE-ADVERT",
      "FORM-LABEL",
      "Subscribe",
      "IFRAME-TEXT",
      "FOOTER-TEXT",
    ]) {
      expect(text, dropped).not.toContain(dropped);
    }
    const hidden = await parser.parse(input(htmlPage({ title: "Page", content: ARTICLE })), context);
    expect(hidden.text).not.toContain("HIDDEN-PREHEADER");
  });

  it("converts fragments without html or body", () => {
    expect(htmlToMarkdown("<p>Just <em>this</em></p><script>x()</script>")).toEqual({ title: undefined, markdown: "Just _this_" });
  });

  it("keeps the content of a page with no body tag, after a script", () => {
    expect(htmlToMarkdown("<html><script>var x = 1</script><h1>Hi there</h1><p>Some text</p></html>").markdown).toBe("# Hi there\n\nSome text");
    expect(htmlToMarkdown("<html><head><title>T</title></head><p>Plain page</p></html>").markdown).toBe("Plain page");
  });

  it("does not repeat a title the page opens with", async () => {
    const { context } = recordingContext();
    const { text } = await parser.parse(input("<html><head><title>Notes</title></head><body><h1>Notes</h1><p>x</p></body></html>"), context);
    expect(text).toBe("# Notes\n\nx");
  });

  it("refuses pages over limits.maxHtmlBytes with FILE_TOO_LARGE", async () => {
    const { context } = recordingContext({ limits: { maxHtmlBytes: 100 } });
    const page = `<p>${"x".repeat(200)}</p>`;
    await expect(parser.parse(input(page), context)).rejects.toBeInstanceOf(FileSizeError);
    await expect(parser.parse(input(page), context)).rejects.toMatchObject({ code: "FILE_TOO_LARGE", details: { maxHtmlBytes: 100 } });
  });

  it("decodes the charset the page declares", () => {
    const latin1 = Buffer.from('<html><head><meta charset="iso-8859-1"></head><body><p>Café</p></body></html>', "latin1");
    expect(decodeHtmlBytes(new Uint8Array(latin1))).toContain("Café");
    expect(decodeHtmlBytes(new TextEncoder().encode("<p>Café</p>"))).toBe("<p>Café</p>");
  });
});

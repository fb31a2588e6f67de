import { gzipSync } from "node:zlib";

import { describe, expect, it } from "vitest";

import { InvalidImageError } from "../../spec/errors.js";
import { sanitizeSvg } from "./svg-sanitizer.js";

const clean = (svg: string | Buffer): string => sanitizeSvg(new Uint8Array(typeof svg === "string" ? Buffer.from(svg) : svg)).svg;

describe("sanitizeSvg", () => {
  it("removes external hrefs in any namespace prefix and quoting", () => {
    const out = clean(
      `<svg xmlns:x="http://www.w3.org/1999/xlink"><image href="http://a/x.png"/><image x:href='https://b/y.png'/><use xlink:href = "file:///etc/passwd#a"/><xi:include href="/etc/passwd"/></svg>`,
    );
    expect(out).toBe(`<svg xmlns:x="http://www.w3.org/1999/xlink"><image/><image/><use/><xi:include/></svg>`);
  });

  it("removes hrefs hidden behind character references", () => {
    expect(clean(`<svg><image href="&#104;ttp://a/x.png"/><image href="&#x68;ttp://a/y.png"/></svg>`)).not.toContain("href");
  });

  it("keeps fragment references and raster data: images", () => {
    const svg = `<svg><use href="#icon"/><image href="data:image/png;base64,AAAA"/><rect fill="url(#grad)"/></svg>`;
    expect(clean(svg)).toBe(svg);
  });

  it("drops data: SVG images, which could carry their own references", () => {
    expect(clean(`<svg><image href="data:image/svg+xml;base64,PHN2Zz4="/></svg>`)).not.toContain("href");
  });

  it("removes stylesheets, @import, external url() and xml:base", () => {
    const out = clean(
      `<?xml version="1.0"?><?xml-stylesheet href="http://a/s.css"?><svg xml:base="http://a/"><style>@import url("http://a/b.css"); rect { fill: url(http://a/p.svg#p) }</style><rect style="fill:url('https://a/q.svg#q')"/></svg>`,
    );
    expect(out).not.toMatch(/http|@import|xml-stylesheet|xml:base/);
    expect(out).toContain("fill: none");
  });

  it("removes a DOCTYPE without entities, refuses one with entities", () => {
    expect(clean(`<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg/>`)).toBe("<svg/>");
    expect(() => clean(`<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><svg>&xxe;</svg>`)).toThrow(InvalidImageError);
  });

  it("reads gzip-compressed and UTF-16 SVG", () => {
    expect(clean(gzipSync(Buffer.from(`<svg><image href="http://a"/></svg>`)))).toBe("<svg><image/></svg>");
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`<?xml version="1.0" encoding="UTF-16"?><svg/>`, "utf16le")]);
    expect(clean(utf16)).toBe("<svg/>");
  });
});

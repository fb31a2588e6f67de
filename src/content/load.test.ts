import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OmnimemError } from "../spec/errors.js";
import { checkAddress } from "./address-policy.js";
import type { HostLookup, HttpFetchHooks } from "./fetch-http.js";
import { type LoadOptions, loadPart, type PayloadPart } from "./load.js";

async function errorOf(run: () => Promise<unknown>): Promise<OmnimemError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof OmnimemError) return error;
    throw error;
  }
  throw new Error("expected an OmnimemError");
}

const urlPart = (url: string, extra: Partial<PayloadPart> = {}): PayloadPart => ({ type: "image", source: { kind: "url", url }, ...extra }) as PayloadPart;

describe("loadPart: inline payloads", () => {
  it("decodes base64", async () => {
    const loaded = await loadPart({ type: "pdf", source: { kind: "base64", data: Buffer.from("%PDF-1.7").toString("base64") } });
    expect(Buffer.from(loaded.bytes).toString()).toBe("%PDF-1.7");
    expect(loaded.source).toBe("base64");
  });

  it("rejects broken base64 with INVALID_INPUT and the item's path", async () => {
    const error = await errorOf(() => loadPart({ type: "image", source: { kind: "base64", data: "not base64!" } }, { path: "messages[0].content[2]" }));
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.details?.path).toBe("messages[0].content[2]");
  });

  it("caps base64 payloads", async () => {
    const error = await errorOf(() => loadPart({ type: "image", source: { kind: "base64", data: Buffer.alloc(2048).toString("base64") } }, { maxBytes: 1024 }));
    expect(error.code).toBe("FILE_TOO_LARGE");
  });

  it("decodes data: URIs and reports their media type", async () => {
    const loaded = await loadPart(urlPart("data:image/png;base64,iVBORw0KGgo="));
    expect(loaded).toMatchObject({ source: "data-uri", mediaType: "image/png" });
    expect(Array.from(loaded.bytes.subarray(0, 4))).toEqual([0x89, 0x50, 0x4e, 0x47]);
  });

  it("prefers the part's own media type and name", async () => {
    const loaded = await loadPart(urlPart("data:image/png;base64,iVBORw0KGgo=", { mediaType: "image/x-custom", name: "a.png" }));
    expect(loaded).toMatchObject({ mediaType: "image/x-custom", name: "a.png" });
  });

  it("passes raw bytes through, within the cap", async () => {
    const data = new Uint8Array([1, 2, 3]);
    expect(await loadPart({ type: "audio", source: { kind: "bytes", data }, mediaType: "audio/wav", name: "a.wav" })).toEqual({
      bytes: data,
      mediaType: "audio/wav",
      name: "a.wav",
      source: "bytes",
    });
    expect((await errorOf(() => loadPart({ type: "audio", source: { kind: "bytes", data } }, { maxBytes: 2 }))).code).toBe("FILE_TOO_LARGE");
  });

  it("refuses unsupported URL schemes", async () => {
    const error = await errorOf(() => loadPart(urlPart("gopher://example.com/x")));
    expect(error.code).toBe("URI_REJECTED");
  });
});

describe("loadPart: http(s)", () => {
  let server: http.Server;
  let port = 0;
  let base = "";
  const hits: string[] = [];
  let bigStreamClosed: Promise<number> = Promise.resolve(0);

  beforeAll(async () => {
    let resolveBigClosed: (written: number) => void = () => undefined;
    server = http.createServer((request, response) => {
      const url = request.url ?? "/";
      hits.push(url);
      if (url === "/ok.png") {
        response.writeHead(200, { "content-type": "image/png; charset=binary" });
        response.end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      } else if (url === "/download") {
        response.writeHead(200, { "content-type": "application/octet-stream", "content-disposition": 'attachment; filename="report final.pdf"' });
        response.end("%PDF-1.4");
      } else if (url === "/gzip") {
        response.writeHead(200, { "content-type": "text/plain", "content-encoding": "gzip" });
        response.end(gzipSync(Buffer.from("hello compressed")));
      } else if (url === "/big") {
        // Streams without a Content-Length until the client hangs up.
        response.writeHead(200, { "content-type": "application/octet-stream" });
        let written = 0;
        const chunk = Buffer.alloc(16 * 1024, 0x61);
        const pump = (): void => {
          while (!response.destroyed && written < 64 * 1024 * 1024) {
            written += chunk.length;
            if (!response.write(chunk)) {
              response.once("drain", pump);
              return;
            }
          }
          response.end();
        };
        bigStreamClosed = new Promise((resolveClosed) => {
          resolveBigClosed = resolveClosed;
        });
        response.on("close", () => resolveBigClosed(written));
        pump();
      } else if (url === "/declared-big") {
        response.writeHead(200, { "content-length": String(10 * 1024 * 1024) });
        response.write("x");
      } else if (url === "/hang") {
        // Never answers.
      } else if (url === "/slow-body") {
        response.writeHead(200, { "content-type": "text/plain" });
        response.write("partial");
      } else if (url.startsWith("/chain/")) {
        const remaining = Number(url.slice("/chain/".length));
        if (remaining === 0) {
          response.writeHead(200, { "content-type": "text/plain" });
          response.end("end of chain");
        } else {
          response.writeHead(302, { location: `/chain/${remaining - 1}` });
          response.end();
        }
      } else if (url === "/loop") {
        response.writeHead(301, { location: "/loop" });
        response.end();
      } else if (url.startsWith("/redirect-to?")) {
        response.writeHead(307, { location: decodeURIComponent(url.slice("/redirect-to?".length)) });
        response.end();
      } else if (url === "/missing") {
        response.writeHead(404, { "content-type": "text/plain" });
        response.end("not found");
      } else if (url === "/error") {
        response.writeHead(500);
        response.end();
      } else {
        response.writeHead(418);
        response.end();
      }
    });
    await new Promise<void>((resolveListen) => server.listen(0, "127.0.0.1", resolveListen));
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolveClose) => server.close(resolveClose));
  });

  const local: Partial<LoadOptions> = { allowPrivateHosts: true };

  it("fetches a URL with its media type and name", async () => {
    const loaded = await loadPart(urlPart(`${base}/ok.png`), local);
    expect(loaded).toMatchObject({ source: "http", mediaType: "image/png", name: "ok.png" });
    expect(loaded.bytes.length).toBe(8);
  });

  it("takes the name from Content-Disposition and ignores a generic media type", async () => {
    const loaded = await loadPart(urlPart(`${base}/download`), local);
    expect(loaded.name).toBe("report final.pdf");
    expect(loaded.mediaType).toBeUndefined();
  });

  it("decompresses a gzip-encoded body", async () => {
    const loaded = await loadPart(urlPart(`${base}/gzip`), local);
    expect(Buffer.from(loaded.bytes).toString()).toBe("hello compressed");
  });

  it("aborts the download the moment the byte cap is passed", async () => {
    const error = await errorOf(() => loadPart(urlPart(`${base}/big`), { ...local, maxBytes: 100_000 }));
    expect(error.code).toBe("FILE_TOO_LARGE");
    expect(error.httpStatus).toBe(415);
    const written = await bigStreamClosed;
    // The server stopped long before its 64 MiB: the client hung up instead of reading on.
    expect(written).toBeLessThan(16 * 1024 * 1024);
  });

  it("refuses a declared Content-Length over the cap before reading", async () => {
    const error = await errorOf(() => loadPart(urlPart(`${base}/declared-big`), { ...local, maxBytes: 1024 }));
    expect(error.code).toBe("FILE_TOO_LARGE");
  });

  it("times out when the server does not answer", async () => {
    const started = Date.now();
    const error = await errorOf(() => loadPart(urlPart(`${base}/hang`), { ...local, fetchTimeoutMs: 200 }));
    expect(error.code).toBe("URI_REJECTED");
    expect(error.details?.reason).toBe("timeout");
    expect(error.message).toContain("timed out");
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("times out when the body stalls", async () => {
    const error = await errorOf(() => loadPart(urlPart(`${base}/slow-body`), { ...local, fetchTimeoutMs: 200 }));
    expect(error.details?.reason).toBe("timeout");
  });

  it("follows redirects up to the limit", async () => {
    const loaded = await loadPart(urlPart(`${base}/chain/5`), local);
    expect(Buffer.from(loaded.bytes).toString()).toBe("end of chain");
    const error = await errorOf(() => loadPart(urlPart(`${base}/chain/6`), local));
    expect(error.code).toBe("URI_REJECTED");
    expect(error.message).toContain("too many redirects");
    const looping = await errorOf(() => loadPart(urlPart(`${base}/loop`), { ...local, maxRedirects: 2 }));
    expect(looping.details?.reason).toBe("redirects");
  });

  it("turns an HTTP error status into URI_REJECTED", async () => {
    const error = await errorOf(() => loadPart(urlPart(`${base}/missing`), { ...local, path: "messages[0].content[0]" }));
    expect(error.code).toBe("URI_REJECTED");
    expect(error.message).toContain("HTTP 404");
    expect(error.details).toMatchObject({ status: 404, path: "messages[0].content[0]" });
    expect((await errorOf(() => loadPart(urlPart(`${base}/error`), local))).message).toContain("HTTP 500");
  });

  it("reports an unreachable host", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolveListen) => closed.listen(0, "127.0.0.1", resolveListen));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolveClose) => closed.close(resolveClose));
    const error = await errorOf(() => loadPart(urlPart(`http://127.0.0.1:${closedPort}/`), local));
    expect(error.details?.reason).toBe("unreachable");
  });

  describe("without allowPrivateHosts", () => {
    it.each([
      ["127.0.0.1", () => `${base}/ok.png`],
      ["localhost", () => `http://localhost:${port}/ok.png`],
      ["[::1]", () => `http://[::1]:${port}/ok.png`],
      ["[::ffff:127.0.0.1]", () => `http://[::ffff:127.0.0.1]:${port}/ok.png`],
      ["169.254.169.254", () => "http://169.254.169.254/latest/meta-data/"],
      ["10.0.0.1", () => "http://10.0.0.1/x.png"],
      ["192.168.0.10", () => "https://192.168.0.10/x.png"],
      ["100.64.1.1", () => "http://100.64.1.1/x.png"],
      ["0.0.0.0", () => `http://0.0.0.0:${port}/ok.png`],
      ["a decimal loopback", () => `http://2130706433:${port}/ok.png`],
      ["metadata.google.internal", () => "http://metadata.google.internal/computeMetadata/v1/"],
    ])("refuses %s without connecting", async (_label, url) => {
      const before = hits.length;
      const error = await errorOf(() => loadPart(urlPart(url()), { lookup: async () => [] }));
      expect(error.code).toBe("URI_REJECTED");
      expect(error.httpStatus).toBe(415);
      expect(hits.length).toBe(before);
    });

    it("refuses a host name that resolves to a loopback address (checked after DNS)", async () => {
      const lookup: HostLookup = async () => [{ address: "127.0.0.1", family: 4 }];
      const before = hits.length;
      const error = await errorOf(() => loadPart(urlPart(`http://files.example.test:${port}/ok.png`), { lookup }));
      expect(error.code).toBe("URI_REJECTED");
      expect(error.details).toMatchObject({ reason: "address", address: "127.0.0.1", category: "loopback" });
      expect(error.message).toContain("resolves to 127.0.0.1");
      expect(hits.length).toBe(before);
    });

    it("refuses when any resolved address is private", async () => {
      const lookup: HostLookup = async () => [
        { address: "93.184.216.34", family: 4 },
        { address: "::ffff:10.0.0.7", family: 6 },
      ];
      const error = await errorOf(() => loadPart(urlPart("http://mixed.example.test/x"), { lookup }));
      expect(error.details?.category).toBe("private");
    });

    it("refuses metadata addresses even with allowPrivateHosts", async () => {
      const lookup: HostLookup = async () => [{ address: "169.254.169.254", family: 4 }];
      const error = await errorOf(() => loadPart(urlPart("http://innocent.example.test/"), { lookup, allowPrivateHosts: true }));
      expect(error.details?.category).toBe("metadata");
    });
  });

  describe("with a public-looking first hop", () => {
    // The loopback test server stands in for a public host: the policy treats exactly 127.0.0.1 as public.
    const hooks: HttpFetchHooks = {
      checkAddress: (address, allowPrivate) => (address === "127.0.0.1" ? { allowed: true, category: "public" } : checkAddress(address, allowPrivate)),
    };
    const lookup: HostLookup = async (hostname) => {
      if (hostname === "public.example.test") return [{ address: "127.0.0.1", family: 4 }];
      if (hostname === "internal.example.test") return [{ address: "10.20.30.40", family: 4 }];
      throw Object.assign(new Error(`unknown host ${hostname}`), { code: "ENOTFOUND" });
    };
    const publicUrl = (path: string): string => `http://public.example.test:${port}${path}`;

    it("connects to the address the lookup returned and checked", async () => {
      const loaded = await loadPart(urlPart(publicUrl("/ok.png")), { lookup }, hooks);
      expect(loaded.bytes.length).toBe(8);
    });

    it.each([
      ["a loopback IP", () => `http://127.0.0.2:${port}/ok.png`],
      ["an IPv4-mapped loopback", () => `http://[::ffff:7f00:2]:${port}/ok.png`],
      ["localhost", () => `http://localhost:${port}/ok.png`],
      ["a name resolving to a private address", () => `http://internal.example.test:${port}/ok.png`],
      ["the metadata service", () => "http://169.254.169.254/latest/meta-data/iam/"],
      ["a file: URL", () => "file:///etc/passwd"],
    ])("refuses a redirect to %s", async (_label, target) => {
      const before = hits.length;
      const error = await errorOf(() => loadPart(urlPart(publicUrl(`/redirect-to?${encodeURIComponent(target())}`)), { lookup }, hooks));
      expect(error.code).toBe("URI_REJECTED");
      expect(hits.slice(before)).toEqual([`/redirect-to?${encodeURIComponent(target())}`]);
    });

    it("reports a host that does not resolve as unreachable", async () => {
      const error = await errorOf(() => loadPart(urlPart("http://nowhere.example.test/"), { lookup }, hooks));
      expect(error.details?.reason).toBe("unreachable");
      expect(error.message).toContain("ENOTFOUND");
    });
  });
});

describe("loadPart: file://", () => {
  let root = "";
  let allowed = "";
  let outside = "";

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "omnimem-load-"));
    allowed = join(root, "allowed");
    outside = join(root, "allowed-not");
    await mkdir(join(allowed, "sub"), { recursive: true });
    await mkdir(outside, { recursive: true });
    await writeFile(join(allowed, "note.txt"), "hello file");
    await writeFile(join(allowed, "ten.bin"), Buffer.alloc(10));
    await writeFile(join(outside, "secret.txt"), "secret");
    await writeFile(join(allowed, "with space.txt"), "spaced");
    await symlink(join(allowed, "note.txt"), join(allowed, "link.txt"));
    await symlink(join(outside, "secret.txt"), join(allowed, "escape.txt"));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const fileUrl = (path: string): string => pathToFileURL(path).href;

  it("reads a file", async () => {
    const loaded = await loadPart(urlPart(fileUrl(join(allowed, "note.txt"))));
    expect(loaded).toMatchObject({ source: "file", name: "note.txt" });
    expect(Buffer.from(loaded.bytes).toString()).toBe("hello file");
    const spaced = await loadPart(urlPart(fileUrl(join(allowed, "with space.txt"))));
    expect(Buffer.from(spaced.bytes).toString()).toBe("spaced");
  });

  it("follows symlinks to the real file", async () => {
    const loaded = await loadPart(urlPart(fileUrl(join(allowed, "link.txt"))), { fileUriAllowDirs: [allowed] });
    expect(Buffer.from(loaded.bytes).toString()).toBe("hello file");
    expect(loaded.name).toBe("note.txt");
  });

  it("accepts file://localhost/", async () => {
    const loaded = await loadPart(urlPart(`file://localhost${pathToFileURL(join(allowed, "note.txt")).pathname}`));
    expect(Buffer.from(loaded.bytes).toString()).toBe("hello file");
  });

  it("never reads the data root, through a symlink or inside allowed directories", async () => {
    await writeFile(join(allowed, "sub", "entry.md"), "every owner's memories");
    await symlink(join(allowed, "sub"), join(outside, "into-data"));
    for (const path of [join(allowed, "sub", "entry.md"), join(outside, "into-data", "entry.md")]) {
      const error = await errorOf(() => loadPart(urlPart(fileUrl(path)), { fileUriAllowDirs: [root], fileUriDenyDirs: [join(allowed, "sub")] }));
      expect(error.code, path).toBe("URI_REJECTED");
      expect(error.details?.reason).toBe("data-root");
    }
    const beside = await loadPart(urlPart(fileUrl(join(allowed, "note.txt"))), { fileUriDenyDirs: [join(allowed, "sub")] });
    expect(Buffer.from(beside.bytes).toString()).toBe("hello file");
  });

  it("refuses a directory", async () => {
    const error = await errorOf(() => loadPart(urlPart(fileUrl(join(allowed, "sub")))));
    expect(error.code).toBe("URI_REJECTED");
    expect(error.details?.reason).toBe("not-a-regular-file");
  });

  it("refuses files outside the allowed directories, symlinks and look-alike prefixes included", async () => {
    for (const path of [join(outside, "secret.txt"), join(allowed, "escape.txt"), join(allowed, "..", "allowed-not", "secret.txt")]) {
      const error = await errorOf(() => loadPart(urlPart(fileUrl(path)), { fileUriAllowDirs: [allowed], path: "messages[0].content[0]" }));
      expect(error.code).toBe("URI_REJECTED");
      expect(error.details).toMatchObject({ reason: "outside-allowed-dirs", path: "messages[0].content[0]" });
    }
  });

  it("answers a missing and an existing file outside the allowed directories the same, before touching either", async () => {
    const outsiders = [
      join(outside, "secret.txt"),
      join(outside, "missing.txt"),
      "/etc/passwd",
      "/nonexistent/x.png",
      join(allowed, "..", "allowed-not", "missing.txt"),
      join(allowed, "sub", "..", "..", "allowed-not", "secret.txt"),
      // Inside as written, outside once resolved: refused after the real path is known, with the same answer.
      join(allowed, "escape.txt"),
    ];
    const answers = await Promise.all(
      outsiders.map(async (path) => {
        const error = await errorOf(() => loadPart(urlPart(fileUrl(path)), { fileUriAllowDirs: [allowed], path: "messages[0].content[0]" }));
        return { code: error.code, message: error.message, details: error.details };
      }),
    );
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(answers[0]).toMatchObject({ code: "URI_REJECTED", details: { reason: "outside-allowed-dirs", path: "messages[0].content[0]" } });
    expect(answers[0]!.message).not.toMatch(/secret|passwd|nonexistent|missing/);
  });

  it("still says when a file inside the allowed directories is missing, and follows symlinks that stay inside", async () => {
    const error = await errorOf(() => loadPart(urlPart(fileUrl(join(allowed, "nope.txt"))), { fileUriAllowDirs: [allowed] }));
    expect(error.code).toBe("URI_REJECTED");
    expect(error.message).toContain("no such file");
    const viaParent = await loadPart(urlPart(fileUrl(join(allowed, "sub", "..", "link.txt"))), { fileUriAllowDirs: [allowed] });
    expect(Buffer.from(viaParent.bytes).toString()).toBe("hello file");
  });

  it("admits a file by either name of an allowed directory that is a symlink, but judges other paths as written", async () => {
    const aliasRoot = join(root, "alias");
    await symlink(allowed, aliasRoot).catch(() => undefined);
    for (const path of [join(aliasRoot, "note.txt"), join(allowed, "note.txt")]) {
      const loaded = await loadPart(urlPart(fileUrl(path)), { fileUriAllowDirs: [aliasRoot] });
      expect(Buffer.from(loaded.bytes).toString()).toBe("hello file");
    }
    // A path outside the roots as written is refused before its symlinks are looked at, even if they lead inside.
    const error = await errorOf(() => loadPart(urlPart(fileUrl(join(aliasRoot, "note.txt"))), { fileUriAllowDirs: [allowed] }));
    expect(error.details?.reason).toBe("outside-allowed-dirs");
  });

  it("refuses a remote host", async () => {
    const error = await errorOf(() => loadPart(urlPart("file://fileserver.example.com/etc/passwd")));
    expect(error.code).toBe("URI_REJECTED");
    expect(error.details?.reason).toBe("remote-host");
  });

  it("refuses a file over the cap", async () => {
    const error = await errorOf(() => loadPart(urlPart(fileUrl(join(allowed, "ten.bin"))), { fileUriMaxBytes: 9 }));
    expect(error.code).toBe("FILE_TOO_LARGE");
    expect((await loadPart(urlPart(fileUrl(join(allowed, "ten.bin"))), { fileUriMaxBytes: 10 })).bytes.length).toBe(10);
  });

  it("refuses a missing file", async () => {
    const error = await errorOf(() => loadPart(urlPart(fileUrl(join(allowed, "nope.txt")))));
    expect(error.code).toBe("URI_REJECTED");
    expect(error.message).toContain("no such file");
  });

  it("refuses file:// entirely when it is turned off", async () => {
    const error = await errorOf(() => loadPart(urlPart(fileUrl(join(allowed, "note.txt"))), { allowFileUris: false }));
    expect(error.details?.reason).toBe("file-uris-disabled");
  });

  it("refuses an encoded slash or NUL in the path", async () => {
    expect((await errorOf(() => loadPart(urlPart(`file://${allowed}/a%2Fb`)))).code).toBe("URI_REJECTED");
    expect((await errorOf(() => loadPart(urlPart(`file://${allowed}/a%00b`)))).code).toBe("URI_REJECTED");
  });
});

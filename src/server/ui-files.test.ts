import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uiResponse } from "./ui-files.js";

describe("the /ui files", () => {
  let base: string;
  let built: string;
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "omnimem-ui-files-"));
    built = join(base, "ui");
    await mkdir(join(built, "assets"), { recursive: true });
    await writeFile(join(built, "index.html"), "<!doctype html><div id=app></div>");
    await writeFile(join(built, "assets", "index-abc.js"), "console.log(1)");
    await writeFile(join(base, "secret.json"), '{"secret":true}');
  });
  afterAll(async () => rm(base, { recursive: true, force: true }));

  it("serves the page and its assets with their content types, the page uncached and the hashed assets immutable", async () => {
    const page = await uiResponse(built, "/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("cache-control")).toBe("no-cache");
    expect(page.headers.get("content-security-policy")).toContain("connect-src 'self'");
    const script = await uiResponse(built, "/assets/index-abc.js");
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(script.headers.get("cache-control")).toContain("immutable");
    expect(await script.text()).toBe("console.log(1)");
  });

  it("serves nothing outside its folder, hidden or of an unknown type", async () => {
    for (const path of ["/../secret.json", "/assets/../../secret.json", "/..\\secret.json", "/.hidden.js", "/assets/missing.js", "/index.exe"]) {
      const response = await uiResponse(built, path);
      expect(response.status, path).toBe(404);
      expect(await response.text()).not.toContain("secret");
    }
  });

  it("says to run npm run build when the page was never built", async () => {
    const response = await uiResponse(join(base, "not-built"), "/");
    expect(response.status).toBe(503);
    expect(await response.text()).toContain("npm run build");
  });
});

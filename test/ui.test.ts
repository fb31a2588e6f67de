/**
 * The web memory browser (/ui) in a real browser: Debian's Chromium driven by playwright-core,
 * against `omnimem serve` (a child process on loopback, with API keys). One server and one
 * browser for the file; the tests run in order on one page, as a person would use it: give the
 * key, search, browse, drop a photo, edit, delete. Every request the page makes is recorded and
 * must stay on loopback. The screenshots the README shows are taken on every run, and written
 * into docs/screenshots/ with OMNIMEM_UPDATE_SCREENSHOTS=1 (otherwise into a temporary folder,
 * so that `npm test` leaves the checkout as it found it).
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imageWithText } from "./support/fixtures/index.js";
import { postJson, startServe, type ServeProcess } from "./support/serve-process.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

const CHROMIUM = "/usr/bin/chromium";
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) console.warn(`test/ui.test.ts skipped: ${CHROMIUM} is missing (Debian: apt-get install -y chromium)`);

const KEY = "ui-test-full-key-0123456789";
const TEAM_KEY = "ui-test-team-a-key-0123456789";
const REPO = join(import.meta.dirname, "..");
const UPDATE_SCREENSHOTS = process.env.OMNIMEM_UPDATE_SCREENSHOTS === "1";
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };
const DAY = 24 * 60 * 60 * 1000;

let root: string;
let profile: string;
let screenshots: string;
let serve: ServeProcess;
let context: BrowserContext;
let page: Page;
const requested: string[] = [];

const post = (route: string, body: unknown, key = KEY) => postJson(`${serve.url}/api/v1/memory/${route}`, body, { authorization: `Bearer ${key}` });

async function addTurns(userId: string, sessionId: string, texts: string[], start: number): Promise<void> {
  const messages = texts.map((content, index) => ({ role: "user", sender_id: userId, timestamp: start + index * 60_000, content }));
  const added = await post("add", { user_id: userId, session_id: sessionId, messages, sync: true });
  expect(added.status, JSON.stringify(added.body)).toBe(200);
}

async function screenshot(name: string, fullPage = false): Promise<void> {
  for (const [width, viewport] of [
    ["desktop", DESKTOP],
    ["phone", PHONE],
  ] as const) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: join(screenshots, `${name}-${width}.png`), fullPage });
  }
  await page.setViewportSize(DESKTOP);
}

describe.skipIf(!HAVE_CHROMIUM)("web memory browser at /ui (Chromium)", () => {
  beforeAll(async () => {
    // The page as `npm run build` makes it (dist/ui), which the server serves.
    const { build } = await import("vite");
    await build({ configFile: join(REPO, "src", "ui", "vite.config.mjs"), logLevel: "warn" });
    root = await makeTempRoot("omnimem-ui-");
    serve = await startServe(join(root, "data"), {
      OMNIMEM_SERVER__API_KEYS: JSON.stringify([{ key: KEY }, { key: TEAM_KEY, app_id: "team-a" }]),
    });
    const t0 = Date.UTC(2026, 4, 4, 9, 0);
    await addTurns("ada", "lisbon-trip", ["We walked up to the old lighthouse at Cabo da Roca before sunset.", "Dinner was grilled sardines near the harbour."], t0);
    await addTurns("ada", "book-club", ["The book club picked a novel about a glass factory for June."], t0 + DAY);
    // Enough of bob's memories for two timeline pages (20 a page).
    for (let i = 0; i < 12; i++) {
      await addTurns("bob", `standup-${Math.floor(i / 4)}`, [`Standup note ${i}: the build cache saved ${i + 3} minutes.`], t0 + i * (DAY / 3));
      await addTurns("bob", `standup-${Math.floor(i / 4)}`, [`Standup follow-up ${i}: nobody was blocked.`], t0 + i * (DAY / 3) + 3_600_000);
    }
    await post("add", { user_id: "carol", app_id: "team-a", session_id: "s1", messages: [{ role: "user", timestamp: t0, content: "Team A only." }], sync: true }, TEAM_KEY);

    screenshots = UPDATE_SCREENSHOTS ? join(REPO, "docs", "screenshots") : await mkdtemp(join(tmpdir(), "omnimem-ui-screenshots-"));
    await mkdir(screenshots, { recursive: true });
    profile = await mkdtemp(join(tmpdir(), "omnimem-ui-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
      viewport: DESKTOP,
      timezoneId: "UTC",
      locale: "en-GB",
    });
    context.on("request", (request) => requested.push(request.url()));
    page = context.pages()[0] ?? (await context.newPage());
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    const exit = await serve?.stop();
    if (profile !== undefined) await rm(profile, { recursive: true, force: true });
    if (screenshots !== undefined && !UPDATE_SCREENSHOTS) await rm(screenshots, { recursive: true, force: true });
    if (root !== undefined) await removeTempRoot(root);
    expect(exit?.code).toBe(0);
  });

  it("serves the built page at /ui with a policy that keeps it on its own server", async () => {
    const response = await fetch(`${serve.url}/ui`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(response.headers.get("content-security-policy")).toContain("connect-src 'self'");
    expect(await response.text()).toContain('<div id="app">');
    expect((await fetch(`${serve.url}/ui/assets/..%2F..%2Fpackage.json`)).status).toBe(404);
  });

  it("lists owners by the key's app and project through POST /api/v1/memory/owners", async () => {
    const all = await post("owners", {});
    expect(all.status, JSON.stringify(all.body)).toBe(200);
    expect(all.body.data.owners.map((owner: any) => owner.user_id).sort()).toEqual(["ada", "bob"]);
    expect(all.body.data.total_count).toBe(2);
    expect(all.body.data.owners.find((owner: any) => owner.user_id === "ada").memory_count).toBeGreaterThanOrEqual(2);
    const paged = await post("owners", { page: 2, page_size: 1 });
    expect(paged.body.data.owners).toHaveLength(1);
    const team = await post("owners", {}, TEAM_KEY);
    expect(team.body.data.owners).toEqual([expect.objectContaining({ user_id: "carol", memory_count: 1 })]);
    expect((await post("owners", {}, "wrong-key-0123456789")).status).toBe(401);
  });

  it("asks for the API key, refuses a wrong one, and keeps the right one for the tab only", async () => {
    await page.goto(`${serve.url}/ui/#/search`);
    const dialog = page.getByRole("dialog", { name: "API key" });
    await expect.poll(() => dialog.textContent()).toContain("needs an API key");
    await dialog.getByLabel(/Key/).fill("not-the-key-0123456789");
    await dialog.getByRole("button", { name: "Use key" }).click();
    await expect.poll(() => dialog.textContent()).toContain("refused this key");
    // A modal: the page behind is inert, so Tab never reaches it (past the dialog's last control
    // focus leaves for the browser's own controls, then comes back), and Escape does not dismiss
    // it (nothing works without a key).
    const focusOutsideDialog = () =>
      page.evaluate(() => {
        const active = (globalThis as unknown as { document: { activeElement: { tagName: string; closest(s: string): unknown } | null } }).document.activeElement;
        return active !== null && active.tagName !== "BODY" && active.closest("dialog") === null;
      });
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press("Tab");
      expect(await focusOutsideDialog(), `tab ${i}`).toBe(false);
    }
    await page.keyboard.press("Escape");
    expect(await dialog.isVisible()).toBe(true);
    await dialog.getByLabel(/Key/).fill(KEY);
    await dialog.getByRole("button", { name: "Use key" }).click();
    await dialog.waitFor({ state: "detached" });
    // Kept for the tab (sessionStorage), never in localStorage. (The test's types have no DOM: the storages are read untyped.)
    const stored = await page.evaluate(() => {
      const { sessionStorage, localStorage } = globalThis as unknown as Record<string, { getItem(key: string): string | null; length: number }>;
      return [sessionStorage!.getItem("omnimem.apiKey"), localStorage!.length];
    });
    expect(stored).toEqual([KEY, 0]);
    await expect.poll(() => page.getByLabel("Owner id").inputValue()).not.toBe("");
  });

  it("search finds a stored memory and shows its score", async () => {
    // With "agent" picked, an id known only as a user's means that user.
    await page.getByLabel("Owner type").selectOption("agent");
    await page.getByLabel("Owner id").fill("ada");
    await page.getByLabel("Owner id").press("Enter");
    await expect.poll(() => page.getByLabel("Owner type").inputValue()).toBe("user");
    await page.getByLabel("Query").fill("lighthouse sunset");
    await page.getByLabel("Method").selectOption("keyword");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    const hit = page.getByRole("article").filter({ hasText: "Cabo da Roca" }).first();
    await hit.waitFor();
    const score = Number(await hit.getByTestId("score").textContent());
    expect(score).toBeGreaterThan(0);
    expect(score).toBeLessThanOrEqual(1);
    expect(await page.getByRole("status").first().textContent()).toMatch(/\d+ results?/);
    // Filters go to the server: another session finds nothing.
    await page.getByLabel("Session").fill("book-club");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await expect.poll(() => page.getByRole("status").first().textContent()).toBe("No memories found.");
    await page.getByLabel("Session").fill("");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await hit.waitFor();
  });

  it("browses owners and a timeline by day and session, a server page at a time", async () => {
    await page.getByRole("link", { name: "Browse" }).click();
    await page.getByRole("button", { name: /user bob/ }).click();
    const timeline = page.getByRole("list", { name: "Timeline" });
    await timeline.waitFor();
    await expect.poll(() => page.locator(".pager [role=status]").textContent()).toBe("Page 1 of 2 (24 memories)");
    expect(await timeline.locator(".memories > li").count()).toBe(20);
    expect(await timeline.locator("h4.day").allTextContents()).toContain("2026-05-07");
    expect(await timeline.getByRole("region", { name: /Session standup-2 on/ }).count()).toBeGreaterThan(0);
    await screenshot("timeline");
    // The next page's answer is held back, so that a pager announcing a page before its
    // memories arrived (page 2 over page 1's twenty) is seen every run, not only on a slow one.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route("**/api/v1/memory/get", async (route) => {
      await held;
      await route.continue();
    });
    try {
      const requested = page.waitForRequest("**/api/v1/memory/get");
      await page.getByRole("button", { name: "Older" }).click();
      await requested;
      expect(await page.locator(".pager [role=status]").textContent()).toBe("Page 1 of 2 (24 memories)");
      expect(await timeline.locator(".memories > li").count()).toBe(20);
      release();
      await expect.poll(() => page.locator(".pager [role=status]").textContent()).toBe("Page 2 of 2 (24 memories)");
      expect(await timeline.locator(".memories > li").count()).toBe(4);
      expect(await timeline.textContent()).toContain("Standup note 0");
    } finally {
      release();
      // Waits for a held answer to go through before the next test.
      await page.unrouteAll({ behavior: "wait" });
    }
  });

  it("a PNG dropped into a session shows its OCR text, a file it cannot read is refused with the reason, and the photo is then found by search", async () => {
    await page.getByRole("link", { name: "Add" }).click();
    await page.getByLabel("Owner id").fill("ada");
    await page.getByLabel("Owner id").press("Enter");
    await page.getByLabel("Session", { exact: true }).fill("receipts");
    const png = Buffer.from(await imageWithText("PELICAN HARDWARE\nTOTAL 42 EUR"));
    // Sent one at a time in this order; the newest item is listed first.
    await page.getByLabel("Choose files").setInputFiles([
      { name: "mystery.bin", mimeType: "application/octet-stream", buffer: Buffer.from([0, 1, 2, 3, 250, 251, 252, 253, 9, 9, 9, 9]) },
      { name: "receipt.png", mimeType: "image/png", buffer: png },
    ]);
    const photo = page.getByRole("article", { name: "Item receipt.png" });
    await expect.poll(() => photo.textContent(), { timeout: 60_000 }).toContain("PELICAN");
    expect(await photo.getByRole("list", { name: "Parsed parts" }).textContent()).toMatch(/ok\s*image as png by \S+/);
    const refused = page.getByRole("article", { name: "Item mystery.bin" });
    await expect.poll(() => refused.textContent(), { timeout: 30_000 }).toContain("refused");
    expect(await refused.getByRole("alert").textContent()).toMatch(/\(415\)/);
    await screenshot("add", true);

    await page.getByRole("link", { name: "Search" }).click();
    await page.getByLabel("Query").fill("pelican hardware receipt");
    await page.getByLabel("Method").selectOption("hybrid");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    const hit = page.getByRole("article").filter({ hasText: "receipt.png" }).first();
    await hit.waitFor();
    // The file, and the parser that read it (kept with the memory, not only in the add's answer).
    expect(await hit.getByRole("list", { name: "Source files" }).textContent()).toContain("image receipt.png · OCR (tesseract.js)");
    await screenshot("search");

    // The episode in the timeline, opened: its source file names the parser too.
    await page.getByRole("link", { name: "Browse" }).click();
    await page.getByRole("button", { name: /user ada/ }).click();
    const session = page.getByRole("list", { name: "Timeline" }).getByRole("region", { name: /Session receipts on/ });
    await session.getByRole("button").first().click();
    const detail = page.locator("section.detail");
    await expect.poll(() => detail.getByRole("list", { name: "Source files" }).textContent()).toContain("receipt.png · OCR (tesseract.js)");
    expect(await detail.getByLabel("Full text").textContent()).not.toContain("[image");
    await page.getByRole("link", { name: "Search" }).click();
  }, 120_000);

  it("an edit shows up in the history as old -> new", async () => {
    await page.getByLabel("Query").fill("lighthouse sunset");
    await page.getByLabel("Method").selectOption("keyword");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    const hit = page.getByRole("article").filter({ hasText: "Cabo da Roca" }).first();
    await hit.getByRole("button", { name: /^Open/ }).click();
    const detail = page.locator("section.detail");
    await detail.getByRole("button", { name: "Edit" }).click();
    const text = detail.getByLabel("Text");
    const before = await text.inputValue();
    await text.fill(before.replace("before sunset", "at dawn"));
    await detail.getByLabel("Metadata (JSON object)").fill('{"mood": "windy"}');
    await detail.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => detail.getByRole("status").textContent()).toBe("Saved.");
    await detail.getByRole("button", { name: "History" }).click();
    const history = detail.getByRole("region", { name: "History" });
    await expect.poll(() => history.locator("li").count()).toBe(2);
    const update = history.locator("li").filter({ hasText: "UPDATE" });
    expect(await update.getByLabel("Old value").textContent()).toContain("before sunset");
    expect(await update.getByLabel("New value").textContent()).toContain("at dawn");
    expect(await detail.textContent()).toContain('{"mood":"windy"}');
  });

  it("a delete asks for confirmation and then removes the memory from the list", async () => {
    await page.getByRole("link", { name: "Browse" }).click();
    await page.getByRole("button", { name: /user ada/ }).click();
    const timeline = page.getByRole("list", { name: "Timeline" });
    const target = timeline.getByRole("button", { name: /glass factory/ });
    await target.waitFor();
    const before = await timeline.locator(".memories > li").count();
    await target.click();
    const detail = page.locator("section.detail");
    await detail.getByRole("button", { name: "Delete" }).click();
    await detail.getByRole("group", { name: "Confirm delete" }).getByRole("button", { name: "Cancel" }).click();
    expect(await timeline.getByRole("button", { name: /glass factory/ }).count()).toBe(1);
    await detail.getByRole("button", { name: "Delete" }).click();
    await detail.getByRole("button", { name: "Yes, delete" }).click();
    await expect.poll(() => timeline.getByRole("button", { name: /glass factory/ }).count()).toBe(0);
    expect(await timeline.locator(".memories > li").count()).toBe(before - 1);
    // The item that opened the memory is gone: focus lands on the view's heading, not on <body>.
    const focused = () =>
      page.evaluate(() => {
        const active = (globalThis as unknown as { document: { activeElement: { tagName: string; textContent: string } | null } }).document.activeElement;
        return active === null ? null : { tagName: active.tagName, textContent: active.textContent };
      });
    await expect.poll(async () => (await focused())?.tagName).toBe("H2");
    expect((await focused())?.textContent).toBe("Browse");
    const gone = await post("get", { user_id: "ada", filters: { session_id: "book-club" } });
    expect(gone.body.data.total_count).toBe(0);
  });

  it("health shows the mode and each capability with what would enable it", async () => {
    await page.getByRole("link", { name: "Health" }).click();
    const table = page.getByRole("table", { name: "Capabilities" });
    await table.waitFor();
    expect(await page.getByRole("main").textContent()).toContain("local mode");
    for (const name of ["llm", "multimodal", "embedding", "ocr", "office", "audio"]) {
      expect(await table.getByRole("rowheader", { name, exact: true }).count()).toBe(1);
    }
    expect(await table.textContent()).toContain("OMNIMEM_LLM__MODEL");
  });

  it("made no request beyond its own loopback server", () => {
    expect(requested.length).toBeGreaterThan(10);
    const hosts = new Set(requested.map((url) => new URL(url).hostname));
    expect([...hosts].filter((host) => host !== "127.0.0.1" && host !== "localhost")).toEqual([]);
  });
});

import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emlWithAttachment } from "./support/fixtures/documents.js";
import { pdfWithTextLayer } from "./support/fixtures/index.js";
import { postJson, startServe, type ServeProcess } from "./support/serve-process.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

/**
 * Issue 12 through `omnimem serve`: nested parses at max_concurrency 1 (defect 1), file:// outside
 * the allow-list (defect 3), and the bytes one request may hold (defect 5).
 */
const MAX_REQUEST_BYTES = 64 * 1024;
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

let root: string;
let uploads: string;
let serve: ServeProcess;
let t0 = Date.UTC(2026, 5, 1, 9, 0);
const turn = (content: unknown) => ({ sender_id: "alice", role: "user", timestamp: (t0 += 1000), content });
const post = (route: string, body: unknown) => postJson(`${serve.url}/api/v1/memory/${route}`, body);

beforeAll(async () => {
  root = await makeTempRoot("omnimem-parse-limits-");
  uploads = join(root, "uploads");
  await mkdir(uploads);
  await writeFile(join(uploads, "memo.pdf"), pdfWithTextLayer(["Memo: the audit starts on Monday"]));
  serve = await startServe(join(root, "data"), {
    OMNIMEM_MULTIMODAL__MAX_CONCURRENCY: "1",
    OMNIMEM_MULTIMODAL__FILE_URI_ALLOW_DIRS: JSON.stringify([uploads]),
    OMNIMEM_MULTIMODAL__MAX_REQUEST_BYTES: String(MAX_REQUEST_BYTES),
    // Starting (tsx compiling the sources) is slow on a loaded machine; listening is not what is tested here.
  }, [], 90_000);
}, 120_000);

afterAll(async () => {
  const exit = await serve?.stop();
  await removeTempRoot(root);
  expect(exit?.code).toBe(0);
});

describe("omnimem serve: parse and load limits", () => {
  it("answers an email with a PDF attachment at OMNIMEM_MULTIMODAL__MAX_CONCURRENCY=1", async () => {
    const eml = await emlWithAttachment({
      subject: "Signed lease",
      body: "The signed lease is attached.",
      attachments: [{ filename: "lease.pdf", contentType: "application/pdf", content: pdfWithTextLayer(["Rent is due on the fifth of each month"]) }],
    });
    const { status, body } = await post("add", { session_id: "mail", messages: [turn([{ type: "email", base64: b64(eml), name: "lease.eml" }])], sync: true });
    expect(status).toBe(200);
    expect(body.data.parts).toEqual([expect.objectContaining({ type: "email", parse_status: "ok" })]);
    const search = await post("search", { user_id: "alice", query: "rent due fifth", method: "keyword" });
    expect(JSON.stringify(search.body.data)).toContain("Rent is due on the fifth");
    // A deadlocked parse never answers: the test's time limit is the check (generous for a busy CI machine).
  }, 60_000);

  it("answers file:// to a missing and to an existing file outside the allow-list the same way", async () => {
    const answers = [];
    for (const uri of ["file:///etc/passwd", "file:///nonexistent/x.png", `file://${uploads}/../data/missing.pdf`]) {
      const { status, body } = await post("add", { session_id: "files", messages: [turn([{ type: "pdf", uri }])] });
      answers.push({ status, code: body.error?.code, message: body.error?.message });
    }
    expect(answers[0]).toMatchObject({ status: 415, code: "URI_REJECTED" });
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    const inside = await post("add", { session_id: "files", messages: [turn([{ type: "pdf", uri: `file://${uploads}/memo.pdf` }])] });
    expect(inside.status).toBe(200);
  }, 20_000);

  it("refuses a request whose items together pass max_request_bytes with FILE_TOO_LARGE, storing nothing", async () => {
    // Each item is well under max_bytes; together they are over max_request_bytes.
    const filler = new TextEncoder().encode("x".repeat(MAX_REQUEST_BYTES / 4) + "\n");
    const item = { type: "doc", base64: b64(filler), ext: "txt" };
    const { status, body } = await post("add", {
      user_id: "carol",
      session_id: "big",
      messages: [turn([item, item]), turn([item, item]), turn([item])],
      sync: true,
    });
    expect(status).toBe(415);
    expect(body.error).toMatchObject({ code: "FILE_TOO_LARGE", message: expect.stringMatching(/max_request_bytes/) });
    expect((await post("get", { user_id: "carol" })).body.data.total_count).toBe(0);
    const fits = await post("add", { user_id: "carol", session_id: "big", messages: [turn([item, item])], sync: true });
    expect(fits.status).toBe(200);
  }, 20_000);
});

/**
 * `omnimem mcp` as a client starts it: a child process on stdin/stdout, driven by the MCP
 * SDK's own client. One memory goes the whole way (added with an image whose text is read by
 * OCR, found, corrected, its history read, deleted), and bad input comes back as tool errors
 * carrying omnimem's codes while the server keeps serving.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imageWithText } from "./support/fixtures/images.js";
import { pdfWithTextLayer } from "./support/fixtures/pdfs.js";
import { omnimem } from "./support/cli-process.js";
import { callTool, connectStdio } from "./support/mcp-client.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

const UNKNOWN_ID = "8c6f1f59-7c3e-4c1e-9d7e-4b8e6e1c2a10";

let root: string;
let client: Client;
let close: () => Promise<void>;
let stderr: () => string;

beforeAll(async () => {
  root = await makeTempRoot();
  await writeFile(join(root, "receipt.png"), await imageWithText("PELICAN HARDWARE\nTOTAL 42 EUR"));
  // The data in a folder of its own: attachments are never read from inside it.
  ({ client, close, stderr } = await connectStdio(["--root", join(root, "data"), "--user", "alice"]));
}, 60_000);

afterAll(async () => {
  await close?.();
  await removeTempRoot(root);
});

describe("omnimem mcp over stdio", () => {
  it("lists the memory tools with input schemas, a resource template and a prompt", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual([
      "add_memory",
      "search_memory",
      "list_memories",
      "get_memory",
      "update_memory",
      "delete_memory",
      "memory_history",
      "flush_session",
    ]);
    const add = tools.find((tool) => tool.name === "add_memory")!;
    expect(add.description).toMatch(/attach/i);
    expect(Object.keys(add.inputSchema.properties ?? {})).toEqual(expect.arrayContaining(["text", "attachments", "metadata"]));
    // No tool lets the model choose whose memory it is.
    for (const tool of tools) expect(Object.keys(tool.inputSchema.properties ?? {})).not.toEqual(expect.arrayContaining(["user_id"]));
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates[0]?.uriTemplate).toBe("omnimem://memory/{id}");
    const prompt = await client.getPrompt({ name: "use-memory" });
    expect(JSON.stringify(prompt.messages)).toContain("search_memory");
  });

  it("adds a memory with a PNG attachment (its OCR text stored), finds, updates, reads the history of and deletes it", async () => {
    const added = await callTool(client, "add_memory", {
      text: "Receipt from the hardware store",
      attachments: [{ path: join(root, "receipt.png") }],
      metadata: { topic: "receipts" },
    });
    expect(added.isError, JSON.stringify(added.body)).toBe(false);
    expect(added.body.attachments).toEqual([expect.objectContaining({ type: "image", format: "png", parse_status: "ok", parser: "image/ocr" })]);
    const stored = added.body.memories[0];
    expect(stored.memory).toContain("Receipt from the hardware store");
    expect(stored.memory).toMatch(/PELICAN/i);
    const id: string = stored.id;

    const found = await callTool(client, "search_memory", { query: "pelican hardware receipt" });
    expect(found.isError).toBe(false);
    expect(found.body.results[0]).toMatchObject({ id, metadata: { topic: "receipts" } });

    const filtered = await callTool(client, "search_memory", { query: "pelican", filters: { topic: "groceries" } });
    expect(filtered.body.results).toEqual([]);

    const listed = await callTool(client, "list_memories", {});
    expect(listed.body.memories.map((memory: { id: string }) => memory.id)).toEqual([id]);

    const updated = await callTool(client, "update_memory", { id, text: "Pelican Hardware receipt: 42 EUR for a ladder" });
    expect(updated.isError, JSON.stringify(updated.body)).toBe(false);
    expect(updated.body.memory).toMatchObject({ id, memory: "Pelican Hardware receipt: 42 EUR for a ladder" });
    expect((await callTool(client, "get_memory", { id })).body.memory.memory).toBe("Pelican Hardware receipt: 42 EUR for a ladder");

    const history = await callTool(client, "memory_history", { id });
    expect(history.body.history.map((entry: { action: string }) => entry.action)).toEqual(["ADD", "UPDATE"]);
    expect(history.body.history[1]).toMatchObject({ previous_value: stored.memory, new_value: "Pelican Hardware receipt: 42 EUR for a ladder" });

    const resource = await client.readResource({ uri: `omnimem://memory/${id}` });
    expect(JSON.parse((resource.contents[0] as { text: string }).text)).toMatchObject({ id, memory: "Pelican Hardware receipt: 42 EUR for a ladder" });

    expect(await callTool(client, "delete_memory", { id })).toEqual({ isError: false, body: { deleted: id } });
    const gone = await callTool(client, "get_memory", { id });
    expect(gone).toMatchObject({ isError: true, body: { error: { code: "NOT_FOUND" } } });
    expect((await callTool(client, "search_memory", { query: "pelican hardware" })).body.results).toEqual([]);
    expect((await callTool(client, "memory_history", { id })).body.history.map((entry: { action: string }) => entry.action)).toEqual(["ADD", "UPDATE", "DELETE"]);
    // A deleted (or unknown) memory as a resource: MCP's resource-not-found code, omnimem's code in the message, once.
    const missing = await client.readResource({ uri: `omnimem://memory/${id}` }).catch((error: unknown) => error as { code: number; message: string; data?: unknown });
    expect(missing).toMatchObject({ code: -32002, data: { code: "NOT_FOUND" } });
    expect((missing as { message: string }).message).toMatch(/^MCP error -32002: NOT_FOUND: no memory at /);
  }, 120_000);

  it("reads attachments given as base64 with a media type, and refuses URLs to private addresses", async () => {
    const pdf = Buffer.from(pdfWithTextLayer(["Offsite planning: Lisbon in June"])).toString("base64");
    const added = await callTool(client, "add_memory", { attachments: [{ base64: pdf, media_type: "application/pdf" }], wait_for_more: true });
    expect(added.isError, JSON.stringify(added.body)).toBe(false);
    expect(added.body).toMatchObject({ status: "buffered", memories: [], attachments: [{ type: "pdf", parser: "pdf/text-layer", parse_status: "ok" }] });
    // Buffered turns become a memory on flush_session.
    const flushed = await callTool(client, "flush_session", {});
    expect(flushed.body.status).toBe("stored");
    expect(flushed.body.memories[0].memory).toContain("Lisbon in June");

    const privateUrl = await callTool(client, "add_memory", { attachments: [{ url: "http://127.0.0.1:9/secret.png" }] });
    expect(privateUrl).toMatchObject({ isError: true, body: { error: { code: "URI_REJECTED" } } });
  }, 60_000);

  it("answers bad input with tool errors that carry the stable code, and keeps serving", async () => {
    const missingFile = await callTool(client, "add_memory", { text: "see attached", attachments: [{ path: join(root, "no-such-scan.png") }] });
    expect(missingFile).toMatchObject({ isError: true, body: { error: { code: "URI_REJECTED" } } });
    expect(missingFile.body.error.message).toMatch(/no such file/);

    expect(await callTool(client, "get_memory", { id: UNKNOWN_ID })).toMatchObject({ isError: true, body: { error: { code: "NOT_FOUND" } } });
    expect(await callTool(client, "update_memory", { id: UNKNOWN_ID, text: "x" })).toMatchObject({ isError: true, body: { error: { code: "NOT_FOUND" } } });
    expect(await callTool(client, "delete_memory", { id: "../../etc/passwd" })).toMatchObject({ isError: true, body: { error: { code: "INVALID_INPUT" } } });
    // Arguments the schema refuses: the same code, naming the field.
    const noQuery = await callTool(client, "search_memory", { limit: 5 });
    expect(noQuery).toMatchObject({ isError: true, body: { error: { code: "INVALID_INPUT" } } });
    expect(noQuery.body.error.message).toMatch(/query/);
    expect(await callTool(client, "add_memory", { attachments: [{ url: "https://example.com/a.png", path: "/tmp/a.png" }] })).toMatchObject({
      isError: true,
      body: { error: { code: "INVALID_INPUT" } },
    });
    // A model cannot reach another owner's memories through filters.
    expect(await callTool(client, "search_memory", { query: "anything", filters: { user_id: "bob" } })).toMatchObject({
      isError: true,
      body: { error: { code: "INVALID_INPUT" } },
    });

    const stillServing = await callTool(client, "add_memory", { text: "The server survived bad input" });
    expect(stillServing.isError).toBe(false);
    expect(stderr()).not.toMatch(/unexpected error|uncaught/i);
  }, 60_000);

  it("refuses to start without an owner (usage error, exit 64)", async () => {
    const run = await omnimem(["mcp", "--root", root]);
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(/--user <id> or --agent <id>/);
  });
});

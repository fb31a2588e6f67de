/**
 * The MCP server mounted on `omnimem serve` at /mcp (streamable HTTP), driven by the MCP SDK's
 * own client: behind the server's API keys, for the owner the connection names, with the same
 * tools and error codes as over stdio.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imageWithText } from "./support/fixtures/images.js";
import { callTool, connectHttp } from "./support/mcp-client.js";
import { postJson, startServe, type ServeProcess } from "./support/serve-process.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

const FULL_KEY = "mcp-test-key-0123456789";
const TEAM_KEY = "mcp-team-key-0123456789";
const UNKNOWN_ID = "8c6f1f59-7c3e-4c1e-9d7e-4b8e6e1c2a10";

let root: string;
let server: ServeProcess;
const clients: Client[] = [];

async function client(query: string, key = FULL_KEY): Promise<Client> {
  const connected = await connectHttp(`${server.url}/mcp${query}`, { authorization: `Bearer ${key}` });
  clients.push(connected);
  return connected;
}

beforeAll(async () => {
  root = await makeTempRoot();
  await writeFile(join(root, "receipt.png"), await imageWithText("PELICAN HARDWARE\nTOTAL 42 EUR"));
  // With API keys, `path` attachments read only the allowed folders, and never the data root inside them.
  server = await startServe(
    join(root, "data"),
    { OMNIMEM_SERVER__API_KEYS: JSON.stringify([{ key: FULL_KEY }, { key: TEAM_KEY, app_id: "team-a" }]), OMNIMEM_MULTIMODAL__FILE_URI_ALLOW_DIRS: JSON.stringify([root]) },
    [],
    90_000,
  );
}, 120_000);

afterAll(async () => {
  for (const connected of clients) await connected.close();
  await server?.stop();
  await removeTempRoot(root);
});

describe("/mcp on omnimem serve", () => {
  it("refuses a client without an API key or with a wrong one (401), and a key confined to another app (403)", async () => {
    const initialize = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } };
    const accept = { accept: "application/json, text/event-stream" };
    const anonymous = await postJson(`${server.url}/mcp?user_id=alice`, initialize, accept);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe("UNAUTHORIZED");
    expect((await postJson(`${server.url}/mcp?user_id=alice`, initialize, { ...accept, authorization: "Bearer wrong-key-0123456789" })).status).toBe(401);
    await expect(connectHttp(`${server.url}/mcp?user_id=alice`)).rejects.toThrow();
    const otherApp = await postJson(`${server.url}/mcp?user_id=alice&app_id=team-b`, initialize, { ...accept, authorization: `Bearer ${TEAM_KEY}` });
    expect(otherApp.status).toBe(403);
    expect(otherApp.body.error.code).toBe("FORBIDDEN");
    const noOwner = await postJson(`${server.url}/mcp`, initialize, { ...accept, authorization: `Bearer ${FULL_KEY}` });
    expect(noOwner.status).toBe(422);
    expect(noOwner.body.error.code).toBe("INVALID_INPUT");
  });

  it("adds a memory with a PNG attachment (OCR), finds, updates, reads the history of and deletes it", async () => {
    const alice = await client("?user_id=alice");
    const { tools } = await alice.listTools();
    expect(tools).toHaveLength(8);

    const added = await callTool(alice, "add_memory", { text: "Receipt from the hardware store", attachments: [{ path: join(root, "receipt.png") }] });
    expect(added.isError, JSON.stringify(added.body)).toBe(false);
    expect(added.body.attachments[0]).toMatchObject({ type: "image", parse_status: "ok", parser: "image/ocr" });
    const id: string = added.body.memories[0].id;
    expect(added.body.memories[0].memory).toMatch(/PELICAN/i);

    expect((await callTool(alice, "search_memory", { query: "pelican hardware" })).body.results[0]?.id).toBe(id);
    // The same memory over the HTTP API: /mcp and /api share one store.
    const viaApi = await postJson(`${server.url}/api/v1/memory/search`, { user_id: "alice", query: "pelican hardware" }, { authorization: `Bearer ${FULL_KEY}` });
    expect(viaApi.body.data.episodes[0]?.id).toBe(id);

    const updated = await callTool(alice, "update_memory", { id, text: "Pelican Hardware: a ladder for 42 EUR" });
    expect(updated.body.memory.memory).toBe("Pelican Hardware: a ladder for 42 EUR");
    const history = await callTool(alice, "memory_history", { id });
    expect(history.body.history.map((entry: { action: string }) => entry.action)).toEqual(["ADD", "UPDATE"]);
    expect(await callTool(alice, "delete_memory", { id })).toEqual({ isError: false, body: { deleted: id } });
    expect(await callTool(alice, "get_memory", { id })).toMatchObject({ isError: true, body: { error: { code: "NOT_FOUND" } } });
  }, 120_000);

  it("answers bad input with tool errors carrying the code, and keeps one owner's memories from another", async () => {
    const alice = await client("?user_id=alice");
    const missingFile = await callTool(alice, "add_memory", { attachments: [{ path: join(root, "missing.png") }] });
    expect(missingFile).toMatchObject({ isError: true, body: { error: { code: "URI_REJECTED" } } });
    // The server's own data (every owner's logs) is never an attachment, even inside an allowed folder.
    const dataFile = await callTool(alice, "add_memory", { attachments: [{ path: join(root, "data", ".index", "state.db"), type: "doc" }] });
    expect(dataFile).toMatchObject({ isError: true, body: { error: { code: "URI_REJECTED", details: { reason: "data-root" } } } });
    const outside = await callTool(alice, "add_memory", { attachments: [{ path: "/etc/hostname", type: "doc" }] });
    expect(outside).toMatchObject({ isError: true, body: { error: { code: "URI_REJECTED", details: { reason: "outside-allowed-dirs" } } } });
    expect(await callTool(alice, "get_memory", { id: UNKNOWN_ID })).toMatchObject({ isError: true, body: { error: { code: "NOT_FOUND" } } });
    expect(await callTool(alice, "memory_history", { id: "not/an/id" })).toMatchObject({ isError: true, body: { error: { code: "INVALID_INPUT" } } });

    const bobsOwn = await connectHttp(`${server.url}/mcp`, { authorization: `Bearer ${FULL_KEY}`, "x-omnimem-user-id": "bob" });
    clients.push(bobsOwn);
    const secret = await callTool(bobsOwn, "add_memory", { text: "Bob's locker code is 4711" });
    const secretId: string = secret.body.memories[0].id;
    expect((await callTool(alice, "search_memory", { query: "locker code" })).body.results).toEqual([]);
    expect(await callTool(alice, "get_memory", { id: secretId })).toMatchObject({ isError: true, body: { error: { code: "NOT_FOUND" } } });
    expect(await callTool(alice, "delete_memory", { id: secretId })).toMatchObject({ isError: true, body: { error: { code: "NOT_FOUND" } } });
    expect((await callTool(bobsOwn, "get_memory", { id: secretId })).body.memory.memory).toContain("locker code is 4711");
  }, 60_000);
});

/**
 * `omnimem serve` as a child process, driven with the requests of EverOS's multimodal docs:
 * an image by URL, text and an image in one turn, an inline PDF, a PDF by file://, each found
 * by every search method; then the error table, auth, health, metrics, OpenAPI and the client.
 */
import { createServer, request as httpRequest, type Server } from "node:http";
import { mkdir, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthError,
  FileSizeError,
  NotFoundError,
  OmnimemClient,
  UnsupportedFormatError,
  ValidationError,
  type SearchResponse,
} from "../src/client/index.js";
import { imageWithText, pdfWithTextLayer } from "./support/fixtures/index.js";
import { postJson, startServe, type ServeProcess } from "./support/serve-process.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

const FULL_KEY = "full-access-key-0123456789";
const TEAM_KEY = "team-a-only-key-0123456789";
const BODY_LIMIT = 1024 * 1024;
const MAX_PAYLOAD = 256 * 1024;
const QUERY = "whiteboard from the planning session";
const METHODS = ["hybrid", "keyword", "vector", "agentic"] as const;
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

let root: string;
let serve: ServeProcess;
let files: Server;
let filesUrl: string;
let pdfPath: string;
let whiteboard: Uint8Array;
let t0 = Date.UTC(2026, 4, 28, 11, 30);

const auth = { authorization: `Bearer ${FULL_KEY}` };
const api = (route: string) => `${serve.url}/api/v1/memory/${route}`;
const post = (route: string, body: unknown, headers: Record<string, string> = auth) => postJson(api(route), body, headers);
const turn = (content: unknown, extra: Record<string, unknown> = {}) => ({ sender_id: "alice", role: "user", timestamp: (t0 += 1000), content, ...extra });

beforeAll(async () => {
  root = await makeTempRoot("omnimem-server-");
  whiteboard = await imageWithText("WHITEBOARD\nPLANNING SESSION\nSHIP IN MAY", { format: "png" });
  files = createServer((request, response) => {
    if (request.url === "/whiteboard.png") response.writeHead(200, { "content-type": "image/png" }).end(whiteboard);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => files.listen(0, "127.0.0.1", resolve));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  const uploads = join(root, "uploads");
  await mkdir(uploads);
  pdfPath = join(uploads, "retro.pdf");
  await writeFile(pdfPath, pdfWithTextLayer(["Retro of the planning session: the whiteboard plan holds, budget approved"]));
  serve = await startServe(join(root, "data"), {
    OMNIMEM_MULTIMODAL__ALLOW_PRIVATE_HOSTS: "true",
    OMNIMEM_MULTIMODAL__MAX_BYTES: String(MAX_PAYLOAD),
    OMNIMEM_SERVER__BODY_LIMIT_BYTES: String(BODY_LIMIT),
    OMNIMEM_SERVER__API_KEYS: JSON.stringify([{ key: FULL_KEY }, { key: TEAM_KEY, app_id: "team-a" }]),
    // With API keys, file:// reads only what the operator allows.
    OMNIMEM_MULTIMODAL__FILE_URI_ALLOW_DIRS: JSON.stringify([uploads]),
  });
}, 60_000);

afterAll(async () => {
  const exit = await serve?.stop();
  await new Promise<void>((resolve) => files.close(() => resolve()));
  await removeTempRoot(root);
  expect(exit?.code).toBe(0);
});

async function expectFoundByEveryMethod(episodeId: string): Promise<void> {
  for (const method of METHODS) {
    const { status, body } = await post("search", { user_id: "alice", query: QUERY, method });
    expect(status, method).toBe(200);
    const data = body.data as SearchResponse;
    expect(data.episodes.map((episode) => episode.id), method).toContain(episodeId);
    const hit = data.episodes.find((episode) => episode.id === episodeId)!;
    expect(hit).toMatchObject({ user_id: "alice", app_id: "default", project_id: "default", type: "Conversation" });
    expect(hit.score).toBeGreaterThan(0);
  }
}

describe("EverOS multimodal requests, then every search method", () => {
  it("an image by URL", async () => {
    const { status, body } = await post("add", {
      session_id: "mm-url",
      messages: [turn([{ type: "image", uri: `${filesUrl}/whiteboard.png` }])],
      sync: true,
    });
    expect(status).toBe(200);
    expect(body.request_id).toMatch(/^[0-9a-f]{32}$/);
    expect(body.data).toMatchObject({ message_count: 1, status: "extracted" });
    expect(body.data.parts).toEqual([
      expect.objectContaining({ message_index: 0, item_index: 0, type: "image", parse_status: "ok", parser: "image/ocr", format: "png" }),
    ]);
    expect(body.data.parts[0].chars).toBeGreaterThan(10);
    const episode = body.data.memories.find((memory: { kind: string }) => memory.kind === "episode");
    expect(episode.memory).toMatch(/WHITEBOARD/i);
    await expectFoundByEveryMethod(episode.id);
  });

  it("text and an image in one turn, buffered until /flush", async () => {
    const { body } = await post("add", {
      session_id: "mm-mixed",
      messages: [
        turn([
          { type: "text", text: "Photo of the whiteboard from the planning session" },
          { type: "image", base64: b64(whiteboard), ext: "png", name: "board.png" },
        ]),
        { sender_id: "assistant-1", role: "assistant", timestamp: (t0 += 1000), content: "Got it, saved the whiteboard." },
      ],
    });
    expect(body.data).toMatchObject({ message_count: 2, status: "accumulated" });
    expect(body.data.parts).toEqual([expect.objectContaining({ message_index: 0, item_index: 1, type: "image", parse_status: "ok" })]);

    const pending = await post("search", { user_id: "alice", query: QUERY, filters: { session_id: "mm-mixed" } });
    expect(pending.body.data.episodes).toEqual([]);
    expect(pending.body.data.unprocessed_messages).toEqual([
      expect.objectContaining({ session_id: "mm-mixed", sender_id: "alice", role: "user", content: expect.stringMatching(/Photo of the whiteboard[\s\S]*PLANNING/i) }),
      expect.objectContaining({ sender_id: "assistant-1", role: "assistant" }),
    ]);

    // EverOS flushes by session alone.
    const flushed = await post("flush", { session_id: "mm-mixed" });
    expect(flushed.status).toBe(200);
    expect(flushed.body.data.status).toBe("extracted");
    const episode = flushed.body.data.memories[0];
    expect(episode.memory).toContain("Photo of the whiteboard from the planning session");
    expect((await post("flush", { session_id: "mm-mixed", user_id: "alice" })).body.data).toEqual({ status: "no_extraction", memories: [] });
    await expectFoundByEveryMethod(episode.id);
  });

  it("an inline PDF as base64 with ext", async () => {
    const pdf = pdfWithTextLayer(["Minutes of the planning session", "Action items are on the whiteboard photo"]);
    const { body } = await post("add", {
      session_id: "mm-pdf",
      messages: [turn([{ type: "pdf", base64: b64(pdf), ext: "pdf", name: "minutes.pdf" }])],
      sync: true,
    });
    expect(body.data.parts).toEqual([expect.objectContaining({ type: "pdf", parse_status: "ok", parser: "pdf/text-layer", bytes: pdf.length })]);
    const episode = body.data.memories[0];
    expect(episode.memory).toContain("Minutes of the planning session");
    await expectFoundByEveryMethod(episode.id);
  });

  it("a PDF by file://", async () => {
    const { body } = await post("add", {
      session_id: "mm-file",
      messages: [turn([{ type: "pdf", uri: `file://${pdfPath}` }])],
      sync: true,
    });
    expect(body.data.parts[0]).toMatchObject({ type: "pdf", parse_status: "ok" });
    const episode = body.data.memories[0];
    expect(episode.memory).toContain("the whiteboard plan holds");
    await expectFoundByEveryMethod(episode.id);

    const listed = await post("get", { user_id: "alice", memory_type: "episode", page_size: 2, sort_by: "timestamp", sort_order: "desc" });
    expect(listed.body.data).toMatchObject({ total_count: 4, count: 2, facts: [] });
    expect(listed.body.data.episodes[0].id).toBe(episode.id);
    const second = await post("get", { user_id: "alice", page: 3, page_size: 2 });
    expect(second.body.data.count).toBe(0);
  });
});

describe("update, history and delete", () => {
  it("changes a memory, keeps its history, deletes it and then all of an owner's", async () => {
    const added = await post("add", { session_id: "edit", user_id: "bob", messages: [turn("I drive a red bike")], sync: true });
    const id = added.body.data.memories[0].id as string;
    const updated = await post("update", { memory_id: id, text: "I drive a blue bike", metadata: { source: "fix" } });
    expect(updated.status).toBe(200);
    expect(updated.body.data).toMatchObject({ id, kind: "episode", episode: "I drive a blue bike", user_id: "bob", metadata: { source: "fix" } });
    const history = await post("history", { memory_id: id });
    expect(history.body.data.history.map((row: { action: string }) => row.action)).toEqual(["ADD", "UPDATE"]);
    expect((await post("delete", { memory_id: id })).body.data).toEqual({ deleted: 1 });
    expect((await post("history", { memory_id: id })).body.data.history.at(-1).action).toBe("DELETE");
    await post("add", { session_id: "edit", user_id: "bob", messages: [turn("one"), turn("two")], sync: true });
    expect((await post("delete", { user_id: "bob" })).body.data).toEqual({ deleted: 1 });
    expect((await post("get", { user_id: "bob" })).body.data.total_count).toBe(0);
  });
});

describe("the error table over HTTP", () => {
  const expectError = async (response: Promise<{ status: number; body: any }>, status: number, code: string) => {
    const { status: actual, body } = await response;
    expect({ status: actual, code: body?.error?.code }, JSON.stringify(body)).toEqual({ status, code });
    expect(body.request_id).toMatch(/^[0-9a-f]{32}$/);
    expect(body.error.timestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(body.error.path).toMatch(/^\//);
    return body.error as { message: string; details?: Record<string, unknown> };
  };

  it("422 INVALID_INPUT names the first problem and its path", async () => {
    let error = await expectError(post("add", { messages: [turn("hi")] }), 422, "INVALID_INPUT");
    expect(error.message).toMatch(/: session_id$/);
    error = await expectError(post("add", { session_id: "e", messages: [] }), 422, "INVALID_INPUT");
    expect(error.details).toEqual({ path: "messages" });
    error = await expectError(post("add", { session_id: "e", messages: [turn([{ type: "video", uri: "file:///x.mp4" }])] }), 422, "INVALID_INPUT");
    expect(error.message).toMatch(/messages\.0\.content/);
    await expectError(post("add", { session_id: "e", messages: [turn([{ type: "image", text: "x", base64: "AAAA" }])] }), 422, "INVALID_INPUT");
    await expectError(post("add", { session_id: "e", messages: [{ role: "user", timestamp: 1, content: "no owner" }] }), 422, "INVALID_INPUT");
    await expectError(post("add", "{not json"), 422, "INVALID_INPUT");
    error = await expectError(post("add", { session_id: "e", messages: [turn(["a bare string", { type: "text" }])] }), 422, "INVALID_INPUT");
    expect(error.message).toMatch(/expected object, received string: messages\.0\.content\.0$/);
    await expectError(post("search", { query: "x" }), 422, "INVALID_INPUT");
    await expectError(post("search", { user_id: "alice", query: "x", top_k: 0 }), 422, "INVALID_INPUT");
    await expectError(post("search", { user_id: "../etc", query: "x" }), 422, "INVALID_INPUT");
    await expectError(post("search", { user_id: "alice", query: "x", filters: { timestamp: { near: 5 } } }), 422, "INVALID_INPUT");
    await expectError(post("update", { memory_id: "not an id!", text: "x" }), 422, "INVALID_INPUT");
  });

  it("415 for content that cannot be parsed, and nothing is written", async () => {
    const before = (await post("get", { user_id: "alice" })).body.data.total_count as number;
    const add = (content: unknown) => post("add", { session_id: "bad", messages: [turn(content)], sync: true });
    await expectError(add([{ type: "pdf", text: "only text" }]), 415, "UNSUPPORTED_FORMAT");
    await expectError(add([{ type: "doc", base64: b64(new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 250, 251])) }]), 415, "UNSUPPORTED_FORMAT");
    await expectError(add([{ type: "image", base64: b64(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0, 1, 2])), ext: "jpg" }]), 415, "INVALID_IMAGE");
    await expectError(add([{ type: "doc", base64: b64(Buffer.alloc(MAX_PAYLOAD + 1024, "y")), ext: "txt" }]), 415, "FILE_TOO_LARGE");
    await expectError(add([{ type: "doc", uri: `file://${root}/uploads` }]), 415, "URI_REJECTED");
    await expectError(add([{ type: "image", uri: "http://127.0.0.1:1/nothing.png" }]), 415, "URI_REJECTED");
    // A good item beside a bad one: the whole batch is refused.
    await expectError(add([{ type: "text", text: "fine text" }, { type: "pdf", text: "bad" }]), 415, "UNSUPPORTED_FORMAT");
    expect((await post("get", { user_id: "alice" })).body.data.total_count).toBe(before);
  });

  it("404 for unknown memories and routes", async () => {
    const unknown = "8c6f1f59-7c3e-4c1e-9d7e-4b8e6e1c2a10";
    await expectError(post("update", { memory_id: unknown, text: "x" }), 404, "NOT_FOUND");
    await expectError(post("delete", { memory_id: unknown }), 404, "NOT_FOUND");
    await expectError(post("history", { memory_id: unknown }), 404, "NOT_FOUND");
    await expectError(post("nothing-here", {}), 404, "NOT_FOUND");
  });

  it("413 for a body over the limit", async () => {
    const big = { session_id: "big", messages: [turn("x".repeat(BODY_LIMIT + 10))] };
    const error = await expectError(post("add", big), 413, "PAYLOAD_TOO_LARGE");
    expect(error.details).toEqual({ limit: BODY_LIMIT });
  });

  it("counts a chunked body (no content-length) as it arrives: 413 past the limit, read as usual below it", async () => {
    const sendChunked = (body: string) =>
      new Promise<{ status: number; json: { error?: { code: string } } }>((resolve, reject) => {
        const req = httpRequest(api("search"), { method: "POST", headers: { ...auth, "content-type": "application/json", "transfer-encoding": "chunked" } }, (res) => {
          let text = "";
          res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as { error?: { code: string } } }));
        });
        req.on("error", reject);
        // Two chunks: the length is known to no one until the end.
        req.write(body.slice(0, 10));
        req.end(body.slice(10));
      });
    const small = await sendChunked(JSON.stringify({ user_id: "alice", query: QUERY }));
    expect(small.status).toBe(200);
    const big = await sendChunked(JSON.stringify({ user_id: "alice", query: "x".repeat(BODY_LIMIT + 10) }));
    expect(big.status).toBe(413);
    expect(big.json.error?.code).toBe("PAYLOAD_TOO_LARGE");
  });
});

describe("API keys", () => {
  it("401 without a key or with a wrong one; health and the OpenAPI document are open", async () => {
    const missing = await post("search", { user_id: "alice", query: QUERY }, {});
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe("UNAUTHORIZED");
    expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const wrong = await post("search", { user_id: "alice", query: QUERY }, { authorization: "Bearer not-a-key-at-all-0000" });
    expect(wrong.body.error.code).toBe("UNAUTHORIZED");
    expect((await fetch(`${serve.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${serve.url}/health`)).status).toBe(200);
    expect((await fetch(`${serve.url}/openapi.json`)).status).toBe(200);
  });

  it("a key confined to an app works there and gets 403 for another app, 404 for another app's memory", async () => {
    const team = { authorization: `Bearer ${TEAM_KEY}` };
    const added = await post("add", { session_id: "t", app_id: "team-a", messages: [turn("The team whiteboard lives in room 4")], sync: true }, team);
    expect(added.status).toBe(200);
    const found = await post("search", { app_id: "team-a", user_id: "alice", query: "team whiteboard room" }, team);
    expect(found.body.data.episodes[0]).toMatchObject({ app_id: "team-a", episode: expect.stringContaining("room 4") });
    // The default app does not see team-a's memory, and the team key cannot reach the default app.
    const outside = await post("search", { user_id: "alice", query: "team whiteboard room" });
    expect(outside.body.data.episodes.some((episode: { episode: string }) => episode.episode.includes("room 4"))).toBe(false);
    const forbidden = await post("search", { user_id: "alice", app_id: "default", query: QUERY }, team);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe("FORBIDDEN");
    // Without app_id the key's own app is meant.
    const inOwnApp = await post("search", { user_id: "alice", query: "team whiteboard room" }, team);
    expect(inOwnApp.body.data.episodes.map((episode: { app_id: string }) => episode.app_id)).toEqual(["team-a"]);
    // Another app's memory by id: not found, as if it did not exist (403 would tell it does).
    const memoryId = outside.body.data.episodes[0].id as string;
    expect((await post("delete", { memory_id: memoryId }, team)).status).toBe(404);
    expect((await post("history", { memory_id: memoryId }, team)).status).toBe(404);
    expect((await post("history", { memory_id: memoryId })).status).toBe(200);
  });
});

describe("health, metrics and the OpenAPI document", () => {
  it("reports capabilities, Prometheus metrics and the schema of every route", async () => {
    const health = (await (await fetch(`${serve.url}/health`)).json()) as any;
    expect(health).toMatchObject({ status: "ok", mode: "local", version: expect.any(String) });
    for (const name of ["llm", "multimodal", "embedding", "ocr", "office", "audio"]) {
      expect(health.capabilities[name].state, name).toMatch(/^(enabled|local|unavailable)$/);
    }
    expect(health.capabilities.llm.enable).toContain("OMNIMEM_LLM__MODEL");

    const metrics = await (await fetch(`${serve.url}/metrics`, { headers: auth })).text();
    expect(metrics).toMatch(/omnimem_http_requests_total\{method="POST",route="\/api\/v1\/memory\/add",status="200"\} \d+/);
    expect(metrics).toMatch(/omnimem_http_request_duration_seconds_bucket\{le="0\.1",method="POST",route="\/api\/v1\/memory\/search",status="200"\}/);
    expect(metrics).toMatch(/omnimem_parsed_items_total\{modality="image",status="ok",parser="image\/ocr"\} [1-9]/);
    expect(metrics).toMatch(/omnimem_parse_rejections_total\{code="UNSUPPORTED_FORMAT"\} [1-9]/);
    expect(metrics).toMatch(/omnimem_model_calls_total\{kind="ocr",model="tesseract",status="ok"\} [1-9]/);
    expect(metrics).toMatch(/omnimem_model_calls_total\{kind="embedding",model="[^"]+",status="ok"\} [1-9]/);
    expect(metrics).toMatch(/^omnimem_memories [1-9]/m);
    expect(metrics).toMatch(/^omnimem_index_documents [1-9]/m);
    expect(metrics).toMatch(/^omnimem_index_size_bytes [1-9]/m);

    const openapi = (await (await fetch(`${serve.url}/openapi.json`)).json()) as any;
    expect(openapi.openapi).toBe("3.1.0");
    for (const route of ["add", "flush", "search", "get", "update", "delete", "history"]) {
      expect(openapi.paths[`/api/v1/memory/${route}`].post.requestBody, route).toBeDefined();
    }
    const add = openapi.paths["/api/v1/memory/add"].post.requestBody.content["application/json"].schema;
    expect(add.required).toEqual(expect.arrayContaining(["session_id", "messages"]));
    expect(add.properties.messages.maxItems).toBe(500);
  });
});

describe("the client against the same server", () => {
  it("covers every route and raises the library's error classes", async () => {
    const client = new OmnimemClient({ baseUrl: serve.url, apiKey: FULL_KEY });
    const added = await client.add({
      session_id: "client",
      user_id: "carol",
      messages: [{ role: "user", content: [{ type: "pdf", base64: b64(pdfWithTextLayer(["Carol keeps the whiteboard markers"])), ext: "pdf" }] }],
      sync: true,
    });
    expect(added.status).toBe("extracted");
    expect(added.parts[0]?.parse_status).toBe("ok");
    const found = await client.search({ user_id: "carol", query: "whiteboard markers", method: "keyword" });
    const id = found.episodes[0]!.id;
    expect(found.episodes[0]?.episode).toContain("whiteboard markers");
    expect((await client.get({ user_id: "carol" })).total_count).toBe(1);
    expect((await client.update({ memory_id: id, text: "Carol keeps the markers in a drawer" })).kind).toBe("episode");
    expect((await client.history({ memory_id: id })).history).toHaveLength(2);
    expect(await client.flush({ session_id: "client", user_id: "carol" })).toEqual({ status: "no_extraction", memories: [] });
    expect(await client.delete({ memory_id: id })).toEqual({ deleted: 1 });
    expect((await client.health()).status).toBe("ok");
    expect(await client.metrics()).toContain("omnimem_http_requests_total");
    expect((await client.openapi()).openapi).toBe("3.1.0");

    await expect(client.history({ memory_id: id.replace(/^./, (first) => (first === "0" ? "1" : "0")) })).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.search({ query: "x" } as never)).rejects.toBeInstanceOf(ValidationError);
    const unsupported = client.add({ session_id: "client", user_id: "carol", messages: [{ role: "user", content: [{ type: "pdf", text: "x" }] }] });
    await expect(unsupported).rejects.toBeInstanceOf(UnsupportedFormatError);
    const tooLarge = client.add({
      session_id: "client",
      user_id: "carol",
      messages: [{ role: "user", content: [{ type: "doc", base64: b64(Buffer.alloc(MAX_PAYLOAD + 1, "z")), ext: "txt" }] }],
    });
    await expect(tooLarge).rejects.toBeInstanceOf(FileSizeError);
    const wrongKey = new OmnimemClient({ baseUrl: serve.url, apiKey: "wrong-key-0123456789" });
    await expect(wrongKey.get({ user_id: "carol" })).rejects.toMatchObject({ constructor: AuthError, code: "UNAUTHORIZED", details: { status: 401 } });
  });
});

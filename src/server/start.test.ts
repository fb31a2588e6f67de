import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { imageWithText } from "../../test/support/fixtures/index.js";
import { configFromEnv } from "../config/env.js";
import { memoryConfigSchema } from "../config/schema.js";
import { createLogger } from "../log.js";
import { LocalEmbedder } from "../providers/embedding/local-embedder.js";
import type { VisionModel } from "../spec/parser.js";
import { isLoopbackHost, serverMemoryConfig, startServer } from "./start.js";

const config = (input: Parameters<typeof memoryConfigSchema.parse>[0]) => memoryConfigSchema.parse(input);

describe("where the server may listen", () => {
  it("knows loopback addresses", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"]) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ["0.0.0.0", "::", "10.0.0.5", "192.168.1.2", "example.com", "128.0.0.1"]) expect(isLoopbackHost(host), host).toBe(false);
  });

  it("keeps a loopback configuration as it is", () => {
    const loopback = config({ root: "/tmp/x" });
    expect(serverMemoryConfig(loopback)).toEqual({ config: loopback, warnings: [] });
  });

  it("refuses a non-loopback address without API keys unless insecure", () => {
    expect(() => serverMemoryConfig(config({ server: { host: "0.0.0.0" } }))).toThrow(
      expect.objectContaining({ code: "INVALID_INPUT", message: expect.stringMatching(/without API keys.*--insecure/) }),
    );
    const { warnings } = serverMemoryConfig(config({ server: { host: "0.0.0.0", insecure: true } }));
    expect(warnings[0]).toMatch(/without API keys/);
  });

  it("refuses file:// payloads beyond loopback unless file_uri_allow_dirs confines them", () => {
    const open = serverMemoryConfig(config({ server: { host: "0.0.0.0", apiKeys: [{ key: "k".repeat(16) }] } }));
    expect(open.config.multimodal.allowFileUris).toBe(false);
    expect(open.warnings.join()).toMatch(/FILE_URI_ALLOW_DIRS/);
    const confined = serverMemoryConfig(
      config({ server: { host: "0.0.0.0", apiKeys: [{ key: "k".repeat(16) }] }, multimodal: { fileUriAllowDirs: ["/srv/uploads"] } }),
    );
    expect(confined.config.multimodal.allowFileUris).toBe(true);
  });

  it("refuses file:// payloads on loopback too once API keys tell callers apart", () => {
    const keyed = serverMemoryConfig(config({ server: { apiKeys: [{ key: "k".repeat(16), appId: "team-a" }] } }));
    expect(keyed.config.multimodal.allowFileUris).toBe(false);
    expect(keyed.warnings.join()).toMatch(/with API keys.*FILE_URI_ALLOW_DIRS/);
  });
});

describe("[server] configuration", () => {
  it("has EverOS's defaults and reads API keys from OMNIMEM_SERVER__API_KEYS as JSON (snake_case or camelCase)", () => {
    expect(config({}).server).toMatchObject({ host: "127.0.0.1", port: 8000, apiKeys: [], insecure: false });
    const fromEnv = configFromEnv({
      OMNIMEM_SERVER__API_KEYS: JSON.stringify([{ key: "a".repeat(20) }, { key: "b".repeat(20), app_id: "team-a", projectId: "p1" }]),
      OMNIMEM_SERVER__PORT: "9000",
    });
    expect(config(fromEnv).server).toMatchObject({
      port: 9000,
      apiKeys: [{ key: "a".repeat(20) }, { key: "b".repeat(20), appId: "team-a", projectId: "p1" }],
    });
    expect(() => configFromEnv({ OMNIMEM_SERVER__API_KEYS: '[{"key":"short"}]' })).toThrow(/OMNIMEM_SERVER__API_KEYS/);
    expect(() => configFromEnv({ OMNIMEM_SERVER__API_KEYS: '[{"key":"long-enough-key-1234","app_id":"../x"}]' })).toThrow(/OMNIMEM_SERVER__API_KEYS/);
  });
});

describe("request time limit", () => {
  it("has a default, and refuses one too short to be useful", () => {
    expect(config({}).server.requestTimeoutMs).toBe(300_000);
    expect(() => config({ server: { requestTimeoutMs: 10 } })).toThrow();
  });

  it("answers REQUEST_TIMEOUT when a request's work does not finish in time, and the server stays usable", async () => {
    const root = await mkdtemp(join(tmpdir(), "omnimem-timeout-"));
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    // A vision model that answers only when the test lets it: a parse that never ends on its own.
    const stuckVision: VisionModel = { modelName: "stuck", describeImage: async () => (await released, "a photo") };
    const server = await startServer(
      { root, logLevel: "silent", server: { port: 0, requestTimeoutMs: 1000, shutdownTimeoutMs: 5000 } },
      { logger: createLogger("silent"), memoryOptions: { embedder: new LocalEmbedder(), parsingModels: { vision: stuckVision } } },
    );
    try {
      const image = Buffer.from(await imageWithText("STUCK", { format: "png" })).toString("base64");
      const response = await fetch(`${server.url}/api/v1/memory/add`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ session_id: "s1", messages: [{ sender_id: "alice", role: "user", timestamp: 1, content: [{ type: "image", base64: image, ext: "png" }] }] }),
      });
      expect(response.status).toBe(503);
      const body = (await response.json()) as { request_id: string; error: { code: string; message: string } };
      expect(body.error.code).toBe("REQUEST_TIMEOUT");
      expect(body.error.message).toMatch(/request_timeout_ms/);
      expect(response.headers.get("x-request-id")).toBe(body.request_id);
      expect((await fetch(`${server.url}/health`)).status).toBe(200);

      // A client that sends half a body and then nothing is answered at the limit too.
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(server.port, "127.0.0.1", () => {
          socket.write(`POST /api/v1/memory/add HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"session_id":`);
        });
        let received = "";
        socket.setEncoding("utf8").on("data", (chunk: string) => (received += chunk));
        socket.on("end", () => resolve(received));
        socket.on("close", () => resolve(received));
        socket.on("error", reject);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 503/);
      expect(answer).toContain("REQUEST_TIMEOUT");
    } finally {
      release();
      await server.close();
      await rm(root, { recursive: true, force: true });
    }
  }, 20_000);
});

import { describe, expect, it } from "vitest";
import { configFromEnv } from "../config/env.js";
import { memoryConfigSchema } from "../config/schema.js";
import { isLoopbackHost, serverMemoryConfig } from "./start.js";

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

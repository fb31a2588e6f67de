import { ValidationError } from "../spec/errors.js";
import { memoryConfigSchema, type MemoryConfigInput } from "./schema.js";

const PREFIX = "OMNIMEM_";

/**
 * Configuration from the environment: `OMNIMEM_ROOT`, and `OMNIMEM_<SECTION>__<KEY>` for a key
 * of a section (`OMNIMEM_MULTIMODAL__FILE_URI_ALLOW_DIRS='["/srv/uploads"]'`). Lists, numbers
 * and booleans are written as JSON; anything else is a string. An unknown section or key is an
 * error, so a typo does not silently leave a default in place.
 */
export function configFromEnv(env: NodeJS.ProcessEnv): MemoryConfigInput {
  const config: Record<string, unknown> = {};
  const origins = new Map<string, string>();
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(PREFIX) || raw === undefined) continue;
    const rest = name.slice(PREFIX.length);
    const [section, key, extra] = rest.split("__");
    if (extra !== undefined || section === undefined || section === "") continue;
    const value = jsonOrString(raw);
    // OMNIMEM_ names without a section are only settings when the schema has them (OMNIMEM_ROOT);
    // others (OMNIMEM_CORPUS_DIR for the test corpus) belong to someone else.
    if (key === undefined && !(camel(section) in memoryConfigSchema.shape)) continue;
    if (key === undefined) {
      config[camel(section)] = value;
      origins.set(camel(section), raw);
    } else {
      const target = (config[camel(section)] ??= {}) as Record<string, unknown>;
      target[camel(key)] = value;
      origins.set(`${camel(section)}.${camel(key)}`, raw);
    }
  }
  // A value that looked like JSON where the schema wants a string (an all-digit API key) stays a string.
  for (let attempt = 0; attempt < 16; attempt++) {
    const result = memoryConfigSchema.safeParse(config);
    if (result.success) return config as MemoryConfigInput;
    const issue = result.error.issues[0]!;
    const path = issue.path.join(".");
    const raw = origins.get(path);
    if (raw === undefined || typeof readPath(config, issue.path) === "string") {
      const variable = `${PREFIX}${issue.path.map((part) => snake(String(part))).join("__")}`;
      throw new ValidationError(`invalid configuration from ${variable}: ${issue.message}`, { details: { path } });
    }
    writePath(config, issue.path, raw);
  }
  return config as MemoryConfigInput;
}

function jsonOrString(raw: string): unknown {
  const trimmed = raw.trim();
  if (/^(\[|\{|true$|false$|null$|-?\d+(\.\d+)?([eE][+-]?\d+)?$)/.test(trimmed)) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return raw;
    }
  }
  return raw;
}

function camel(name: string): string {
  return name.toLowerCase().replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

function snake(name: string): string {
  return name.replace(/([A-Z])/g, "_$1").toUpperCase();
}

function readPath(target: Record<string, unknown>, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<PropertyKey, unknown> | undefined)?.[key], target);
}

function writePath(target: Record<string, unknown>, path: readonly PropertyKey[], value: unknown): void {
  const parent = readPath(target, path.slice(0, -1)) as Record<PropertyKey, unknown>;
  parent[path[path.length - 1]!] = value;
}

import { existsSync, readFileSync } from "node:fs";
import { join, resolve as resolvePath } from "node:path";
import { parseEnv } from "node:util";
import { ValidationError } from "../spec/errors.js";
import { readEnvSettings } from "./env.js";
import type { MemoryConfig, MemoryConfigInput } from "./schema.js";
import { SETTINGS, type Setting } from "./settings.js";
import { readConfigFile } from "./toml.js";
import { validateConfig } from "./validate.js";

/** Where a setting's effective value came from. */
export type Origin = "default" | `file ${string}` | `env ${string}` | `flag ${string}`;

export interface ResolveConfigInput {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** `--config`: must exist. */
  configPath?: string;
  /** Settings from command-line flags, camelCase. */
  overrides?: MemoryConfigInput;
  /** Dotted camelCase setting key → the flag that set it (`"--root"` or `"flag --root"`). */
  overrideOrigins?: Record<string, string>;
  /** The .env file loaded before resolving (see loadDotEnv), only reported back. */
  envFile?: string;
}

export interface ResolvedConfig {
  /** Validated, defaults applied. */
  config: MemoryConfig;
  /** The merged layers as written, for Memory.open (which applies the defaults itself). */
  input: MemoryConfigInput;
  /** Every setting of the schema, by dotted camelCase key, with the layer its value came from. */
  origins: Record<string, Origin>;
  configFile?: string;
  envFile?: string;
}

export const CONFIG_FILE_NAME = "omnimem.toml";

/** defaults < omnimem.toml < OMNIMEM_<SECTION>__<KEY> < command-line flags, merged key by key. */
export function resolveConfig(input: ResolveConfigInput): ResolvedConfig {
  const configFile = findConfigFile(input.cwd, input.env, input.configPath);
  const fromEnv = readEnvSettings(input.env);
  const layers: Layer[] = [
    ...(configFile === undefined ? [] : [{ values: readConfigFile(configFile), originOf: () => `file ${configFile}` as const }]),
    { values: fromEnv.input, originOf: (setting: Setting) => `env ${fromEnv.variables[setting.key] ?? setting.envName}` as const },
    { values: input.overrides ?? {}, originOf: (setting: Setting) => flagOrigin(setting, input.overrideOrigins?.[setting.key]) },
  ];

  const merged: Record<string, unknown> = {};
  const origins: Record<string, Origin> = Object.fromEntries(SETTINGS.map((setting) => [setting.key, "default" as Origin]));
  for (const layer of layers) {
    for (const setting of SETTINGS) {
      const value = readSetting(layer.values, setting.section, setting.name);
      if (value === undefined) continue;
      writeSetting(merged, setting.section, setting.name, value);
      origins[setting.key] = layer.originOf(setting);
    }
  }

  const config = validateConfig(merged as MemoryConfigInput, (key) => (origins[key] === "default" ? undefined : origins[key]));
  return {
    config,
    input: merged as MemoryConfigInput,
    origins,
    ...(configFile === undefined ? {} : { configFile }),
    ...(input.envFile === undefined ? {} : { envFile: input.envFile }),
  };
}

interface Layer {
  values: MemoryConfigInput;
  originOf(setting: Setting): Origin;
}

/** `--config`, else $OMNIMEM_CONFIG, else ./omnimem.toml when there is one. A file named explicitly must exist. */
function findConfigFile(cwd: string, env: NodeJS.ProcessEnv, configPath: string | undefined): string | undefined {
  const named = configPath ?? (env["OMNIMEM_CONFIG"] === "" ? undefined : env["OMNIMEM_CONFIG"]);
  if (named !== undefined) {
    const path = resolvePath(cwd, named);
    if (!existsSync(path)) {
      const by = configPath === undefined ? "OMNIMEM_CONFIG" : "--config";
      throw new ValidationError(`config file ${path} (from ${by}) does not exist; omnimem init writes one`, { details: { file: path } });
    }
    return path;
  }
  const local = join(cwd, CONFIG_FILE_NAME);
  return existsSync(local) ? local : undefined;
}

/**
 * Loads `<cwd>/.env` into `env` without replacing variables already set, as
 * process.loadEnvFile would (it does not override either), but into any object, so tests need
 * not touch process.env. Returns the file's path, or undefined when there is none.
 */
export function loadDotEnv(cwd: string, env: NodeJS.ProcessEnv): string | undefined {
  const path = join(cwd, ".env");
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ValidationError(`cannot read ${path}: ${String(error)}`, { cause: error, details: { file: path } });
  }
  for (const [name, value] of Object.entries(parseEnv(text))) {
    if (env[name] === undefined && value !== undefined) env[name] = value;
  }
  return path;
}

function readSetting(values: MemoryConfigInput, section: string | undefined, name: string): unknown {
  const record = values as Record<string, unknown>;
  if (section === undefined) return record[name];
  const table = record[section];
  return table === null || typeof table !== "object" ? undefined : (table as Record<string, unknown>)[name];
}

/** Sets `section.name` (or a top-level `name`) in a nested config object, creating the section. */
export function writeSetting(target: Record<string, unknown>, section: string | undefined, name: string, value: unknown): void {
  if (section === undefined) target[name] = value;
  else ((target[section] ??= {}) as Record<string, unknown>)[name] = value;
}

/** The CLI names its flags; a caller that does not gets a flag-like name made from the key. */
function flagOrigin(setting: Setting, given: string | undefined): Origin {
  if (given === undefined) return `flag --${setting.tomlKey.replace(/[._]/g, "-")}`;
  return given.startsWith("flag ") ? (given as Origin) : `flag ${given}`;
}

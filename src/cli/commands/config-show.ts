import { maskSettingValue } from "../../config/mask.js";
import type { Origin, ResolvedConfig } from "../../config/resolve.js";
import { SETTINGS, snakeCase } from "../../config/settings.js";
import { formatTomlValue } from "../../config/toml-value.js";
import { chooseLocalEmbedder, type LocalEmbedderChoice } from "../../providers/embedding/local-choice.js";
import { indexDirectory, recordedIndexIdentity } from "../../store/embedded/index-identity.js";

export interface ConfigShowSetting {
  /** Dotted snake_case, as in omnimem.toml: `multimodal.max_bytes`. */
  key: string;
  /** The effective value, secrets masked; null when unset (an optional setting, or a setting of an absent section). */
  value: unknown;
  source: Origin;
}

export interface ConfigShowReport {
  configFile?: string;
  envFile?: string;
  /** The embedder the root uses with these settings: a local one by name, or the endpoint's model. */
  embedder: { name: LocalEmbedderChoice["name"]; chosenBy: LocalEmbedderChoice["reason"] } | { name: "endpoint"; model: string };
  settings: ConfigShowSetting[];
}

/** `omnimem config show`: every setting of the schema with its effective value and where it came from. */
export function configShowReport(resolved: ResolvedConfig): ConfigShowReport {
  const settings = SETTINGS.map((setting): ConfigShowSetting => {
    const value = readEffective(resolved.config, setting.section, setting.name);
    return {
      key: setting.tomlKey,
      value: value === undefined ? null : snakeCaseKeys(maskSettingValue(setting.name, value)),
      source: resolved.origins[setting.key] ?? "default",
    };
  });
  return {
    ...(resolved.configFile === undefined ? {} : { configFile: resolved.configFile }),
    ...(resolved.envFile === undefined ? {} : { envFile: resolved.envFile }),
    embedder: embedderOf(resolved.config),
    settings,
  };
}

/** Read from the root's index record (a small file), as Memory.open chooses it, without opening anything. */
function embedderOf(config: ResolvedConfig["config"]): ConfigShowReport["embedder"] {
  if (config.embedding !== undefined) return { name: "endpoint", model: config.embedding.model };
  const choice = chooseLocalEmbedder(config.localEmbedding, recordedIndexIdentity(indexDirectory(config.root)));
  return { name: choice.name, chosenBy: choice.reason };
}

const CHOSEN_BY = { config: "named in the config", root: "the one this root was built with", default: "the default for a new root" } as const;

/** `key = value   (source)`, one setting a line, values aligned, written as they would be in TOML. */
export function renderConfigShow(report: ConfigShowReport): string {
  const header = [
    `config file: ${report.configFile ?? "none"}`,
    `env file:    ${report.envFile ?? "none"}`,
    `embedder:    ${report.embedder.name === "endpoint" ? `endpoint, ${report.embedder.model}` : `${report.embedder.name} (${CHOSEN_BY[report.embedder.chosenBy]})`}`,
    "",
  ];
  const rows = report.settings.map((setting) => ({
    left: `${setting.key} = ${setting.value === null ? "(unset)" : formatTomlValue(setting.value)}`,
    source: setting.source,
  }));
  // Long values (a list of folders) would push every source far right; past this width they just run on.
  const width = Math.min(72, Math.max(...rows.map((row) => row.left.length)));
  const lines = rows.map((row) => `${row.left.padEnd(width)}  (${row.source})`);
  return [...header, ...lines].join("\n");
}

function readEffective(config: ResolvedConfig["config"], section: string | undefined, name: string): unknown {
  const record = config as unknown as Record<string, unknown>;
  if (section === undefined) return record[name];
  const table = record[section] as Record<string, unknown> | undefined;
  return table?.[name];
}

/** Server API key entries come back camelCase from the schema; show them as omnimem.toml spells them. */
function snakeCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeCaseKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined).map(([key, item]) => [snakeCase(key), snakeCaseKeys(item)]));
}

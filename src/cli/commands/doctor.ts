import { styleText } from "node:util";
import { memoryConfigSchema, type MemoryConfig, type MemoryConfigInput } from "../../config/schema.js";
import { Memory } from "../../memory.js";
import { capabilityChecks } from "./doctor/capability-checks.js";
import { check, guarded, type DoctorCheck } from "./doctor/check.js";
import { consistencyCheck } from "./doctor/consistency-check.js";
import { diskChecks } from "./doctor/disk-checks.js";
import { endpointChecks } from "./doctor/endpoint-checks.js";
import { storeChecks } from "./doctor/store-check.js";

export type { DoctorCheck } from "./doctor/check.js";

/** `omnimem doctor`'s exit code when any check failed (0 when none did). */
export const DOCTOR_FAILED_EXIT = 1;

/** How long each model endpoint gets to answer `GET /models`, unless the caller says otherwise. */
export const DEFAULT_DOCTOR_TIMEOUT_MS = 5000;

export interface DoctorReport {
  /** True when no check failed; warnings and infos leave it true. */
  ok: boolean;
  mode: "llm" | "local";
  checks: DoctorCheck[];
}

export interface DoctorOptions {
  /** Time limit of each endpoint request (and of the embedding probe when the memory opens), in milliseconds. */
  timeoutMs?: number;
}

/**
 * Looks at everything omnimem depends on and says, for each missing or broken piece, what to
 * install, set or run: the configuration, each capability, the model endpoints, the disk, and
 * whether the markdown files, the catalog and the search index agree. Never throws for what
 * it finds; a broken piece is a failed check.
 */
export async function runDoctor(config: MemoryConfigInput, options: DoctorOptions = {}): Promise<DoctorReport> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_DOCTOR_TIMEOUT_MS;
  const parsed = memoryConfigSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.join(".") || "(root)";
    const failed = check("config", "fail", `invalid setting ${where}: ${issue.message}`, "correct it in omnimem.toml, the OMNIMEM_* variables or the flags (omnimem config show lists where each setting came from)");
    return { ok: false, mode: config.llm === undefined ? "local" : "llm", checks: [failed] };
  }
  const resolved: MemoryConfig = parsed.data;
  // Never opened: it only answers what the configuration enables, without taking the root's lock.
  const unopened = new Memory({ ...config, logLevel: "error" });
  const groups = await Promise.all([
    guarded("capabilities", async () => capabilityChecks(unopened)),
    guarded("endpoints", () => endpointChecks(resolved, timeoutMs)),
    guarded("disk", () => diskChecks(resolved.root)),
    guarded("store", () => storeChecks(resolved)),
    // The three layers (markdown, catalog, index) to compare are the embedded backend's.
    resolved.store.backend === "embedded" ? guarded("consistency", async () => [await consistencyCheck({ ...config, root: resolved.root }, timeoutMs)]) : [],
  ]);
  const checks = groups.flat();
  return { ok: checks.every((item) => item.status !== "fail"), mode: unopened.mode, checks };
}

const MARKS: Record<DoctorCheck["status"], { mark: string; style: Parameters<typeof styleText>[0] }> = {
  ok: { mark: "✓", style: "green" },
  warn: { mark: "!", style: "yellow" },
  fail: { mark: "✗", style: "red" },
  info: { mark: "·", style: "cyan" },
};

/** One line per check (mark, name, detail) and an indented `→ fix` line under those that have one. */
export function renderDoctor(report: DoctorReport, options: { color: boolean }): string {
  // The caller has decided (a TTY, NO_COLOR): styleText must not check process.stdout again.
  const paint = (style: Parameters<typeof styleText>[0], text: string) => (options.color ? styleText(style, text, { validateStream: false }) : text);
  const width = Math.max(...report.checks.map((item) => item.name.length));
  const lines = [`omnimem doctor: ${report.mode} mode`, ""];
  for (const item of report.checks) {
    const { mark, style } = MARKS[item.status];
    lines.push(`${paint(style, mark)} ${paint("bold", item.name.padEnd(width))}  ${item.detail}`);
    if (item.fix !== undefined) lines.push(`  ${" ".repeat(width)}  ${paint("dim", `→ ${item.fix}`)}`);
  }
  lines.push("", summary(report, paint));
  return lines.join("\n");
}

function summary(report: DoctorReport, paint: (style: Parameters<typeof styleText>[0], text: string) => string): string {
  const count = (status: DoctorCheck["status"]) => report.checks.filter((item) => item.status === status).length;
  const failures = count("fail");
  const warnings = count("warn");
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  if (failures > 0) return paint("red", `${plural(failures, "check")} failed, ${plural(warnings, "warning")}`);
  return paint(warnings > 0 ? "yellow" : "green", warnings > 0 ? `no failures, ${plural(warnings, "warning")}` : "all checks passed");
}

import type { AddResult } from "../memory.js";
import { historyChangeTime, type HistoryEntry, type MemoryItem, type SearchHit } from "../spec/types.js";
import { paint, type Output } from "./output.js";

/** Human renderings of what the memory commands return; `--json` prints the values themselves. */

export function renderAdd(output: Output, result: AddResult): string {
  const lines = result.results.map((event) => `${paint(output, "green", event.event.padEnd(6))} ${event.id}  ${oneLine(event.memory, 100)}`);
  for (const part of result.parts) {
    const status = part.parseStatus === "ok" ? "ok" : paint(output, "red", `failed: ${part.error?.code ?? "?"}`);
    lines.push(paint(output, "dim", `  part ${part.messageIndex}.${part.itemIndex} ${part.type}/${part.format} read by ${part.parser}: ${part.chars} chars, ${Math.round(part.durationMs)} ms, ${status}`));
  }
  if (result.results.length === 0) lines.push(paint(output, "dim", "buffered: nothing extracted yet (omnimem flush, or the idle flush, makes the episode)"));
  return lines.join("\n");
}

export function renderHits(output: Output, hits: readonly SearchHit[]): string {
  if (hits.length === 0) return paint(output, "dim", "no results");
  return hits.map((hit, rank) => `${String(rank + 1).padStart(2)}. ${paint(output, "cyan", hit.score.toFixed(3))}  ${oneLine(hit.memory, 110)}\n    ${describe(output, hit)}`).join("\n");
}

export function renderItems(output: Output, items: readonly MemoryItem[], nextCursor?: string): string {
  const lines = items.map((item) => `${oneLine(item.memory, 110)}\n    ${describe(output, item)}`);
  if (items.length === 0) lines.push(paint(output, "dim", "no memories"));
  if (nextCursor !== undefined) lines.push(paint(output, "dim", `more: --cursor ${nextCursor}`));
  return lines.join("\n");
}

export function renderItem(output: Output, item: MemoryItem): string {
  const fields: Array<[string, unknown]> = [
    ["id", item.id],
    ["kind", item.kind],
    ["owner", item.userId !== undefined ? `user ${item.userId}` : `agent ${item.agentId}`],
    ["session", item.sessionId],
    ["sender", item.senderId],
    ["role", item.role],
    ["time", item.timestamp],
    ["created", item.createdAt],
    ["updated", item.updatedAt],
    ["subject", item.subject],
    ["metadata", Object.keys(item.metadata).length === 0 ? undefined : JSON.stringify(item.metadata)],
    ["sources", item.sources.length === 0 ? undefined : item.sources.join(", ")],
  ];
  const head = fields.filter(([, value]) => value !== undefined).map(([name, value]) => `${paint(output, "dim", name.padEnd(8))} ${String(value)}`);
  return `${head.join("\n")}\n\n${item.memory}`;
}

export function renderHistory(output: Output, entries: readonly HistoryEntry[]): string {
  if (entries.length === 0) return paint(output, "dim", "no history");
  return entries
    .map((entry) => {
      const change =
        entry.action === "ADD" ? oneLine(entry.new_value ?? "", 90) : entry.action === "DELETE" ? paint(output, "dim", oneLine(entry.previous_value ?? "", 90)) : `${oneLine(entry.previous_value ?? "", 44)} → ${oneLine(entry.new_value ?? "", 44)}`;
      return `${historyChangeTime(entry)}  ${entry.action.padEnd(6)} ${change}`;
    })
    .join("\n");
}

function describe(output: Output, item: MemoryItem): string {
  const owner = item.userId !== undefined ? `user ${item.userId}` : `agent ${item.agentId}`;
  const parts = [item.kind, owner, item.sessionId === undefined ? undefined : `session ${item.sessionId}`, item.timestamp.slice(0, 16).replace("T", " "), item.id];
  return paint(output, "dim", parts.filter((part) => part !== undefined).join(" · "));
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

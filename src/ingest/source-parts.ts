import type { SourcePart } from "../spec/types.js";
import type { PartReport } from "./part-parser.js";

/**
 * The files whose text one message holds, as the memory made from it keeps them: each parsed
 * item's name, format, parser and model. An item that failed to parse put no text in the turn,
 * so it is not one of its sources.
 */
export function sourcePartsOf(reports: readonly PartReport[], messageIndex: number): SourcePart[] {
  return reports.filter((report) => report.messageIndex === messageIndex && report.parseStatus === "ok").map(sourcePart);
}

function sourcePart(report: PartReport): SourcePart {
  const part: SourcePart = { type: report.type, format: report.format, parser: report.parser, sha256: report.sha256, bytes: report.bytes };
  if (report.name !== undefined) part.name = report.name;
  if (report.model !== undefined) part.model = report.model;
  return part;
}

/** The sources of memories made from several turns, in turn order; undefined when none carried a file. */
export function joinSourceParts(groups: readonly (readonly SourcePart[] | undefined)[]): SourcePart[] | undefined {
  const joined = groups.flatMap((group) => group ?? []);
  return joined.length === 0 ? undefined : joined;
}

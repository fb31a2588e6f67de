/**
 * Cell text of an .xlsx without LibreOffice, through exceljs: per sheet a
 * "--- sheet: NAME ---" header, then one line per non-empty row with cells separated by tabs.
 */
import type ExcelJS from "exceljs";

import { UnsupportedFormatError } from "../../spec/errors.js";
import { checkZipExpansion, tidyText } from "./zip-package.js";

export async function extractXlsxText(bytes: Uint8Array): Promise<string> {
  checkZipExpansion(bytes, "xlsx");
  // exceljs and its zip stack (about 0.6 s to load) are imported on the first spreadsheet, not at startup.
  const { default: excel } = await import("exceljs");
  const workbook = new excel.Workbook();
  try {
    // exceljs types its input with its own `Buffer` interface; a Node Buffer is what it wants.
    await workbook.xlsx.load(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as unknown as ExcelJS.Buffer);
  } catch (error) {
    throw new UnsupportedFormatError("The xlsx file could not be read (not a spreadsheet, or damaged)", { cause: error });
  }
  const sections: string[] = [];
  workbook.eachSheet((sheet) => {
    const lines: string[] = [];
    sheet.eachRow({ includeEmpty: false }, (row) => {
      const cells: string[] = [];
      row.eachCell({ includeEmpty: true }, (cell, column) => {
        cells[column - 1] = cellText(cell.value);
      });
      const line = Array.from(cells, (cell) => cell ?? "").join("\t").replace(/\t+$/, "");
      if (line.trim().length > 0) lines.push(line);
    });
    sections.push(`--- sheet: ${sheet.name} ---\n${lines.join("\n")}`);
  });
  return tidyText(sections.join("\n\n"));
}

/** A cell's value as it reads: formulas by their result, rich text joined, dates as ISO dates. */
export function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value.replace(/\r\n?|\n/g, " ");
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value instanceof Date) return isoDate(value);
  if ("richText" in value) return value.richText.map((run) => run.text).join("").replace(/\r\n?|\n/g, " ");
  if ("hyperlink" in value) {
    const text = typeof value.text === "string" ? value.text : cellText(value.text as ExcelJS.CellValue);
    return text === value.hyperlink || text.length === 0 ? value.hyperlink : `${text} (${value.hyperlink})`;
  }
  if ("error" in value) return value.error;
  if ("formula" in value || "sharedFormula" in value) {
    const result = value.result;
    return result === undefined ? "" : cellText(result);
  }
  return "";
}

function isoDate(date: Date): string {
  if (Number.isNaN(date.getTime())) return "";
  const iso = date.toISOString();
  // Spreadsheet dates carry no zone; exceljs hands them over as UTC. Midnight means "a date".
  return iso.endsWith("T00:00:00.000Z") ? iso.slice(0, 10) : iso.replace(/\.000Z$/, "Z");
}

// The English parser alone: the package root loads every locale (hundreds of modules), on every CLI call.
import * as chrono from "chrono-node/en";
import type { SearchFilter } from "../spec/types.js";

/** A span of time a query refers to, in epoch ms, both ends included. */
export interface TimeWindow {
  start: number;
  end: number;
}

const DAY = 86_400_000;
/** Half the width of a window for "N <unit>s ago", "last <unit>": the unit's own imprecision. */
const HALF_WIDTH: Record<string, number> = { day: DAY, week: 4 * DAY, month: 16 * DAY, year: 183 * DAY };
const AGO_OR_LAST = /\b(?:ago|last|past|previous|this|next)\b/i;
const UNIT = /\b(day|week|month|year)s?\b/i;
/** "two days before the trip": anchored on an event, not on the question's time. */
const EVENT_ANCHORED = /\b(?:before|after|since|until)\s*$/i;
/** Words chrono reads as "the present moment", which narrow nothing a question means. */
const PRESENT = /^(?:now|right now|currently|today)$/i;

/**
 * The dates a query names ("last week", "in May", "yesterday", "on March 3, 2023", "three
 * weeks ago"), resolved against `now` (the time the question is asked, epoch ms) with
 * chrono-node, each as a window as wide as what the words pin down: a day when the day is
 * known, the month for "in May", the unit for "N weeks ago". A month or day without a year
 * that would fall after `now` means the last one before it (memory is about the past).
 * Expressions anchored on an event ("two days before the trip") are left out: their date is
 * not the question's time minus two days.
 */
export function queryTimeWindows(query: string, now: number): TimeWindow[] {
  const reference = new Date(now);
  const windows: TimeWindow[] = [];
  for (const result of chrono.parse(query, { instant: reference, timezone: 0 })) {
    const text = result.text.trim();
    if (PRESENT.test(text)) continue;
    const following = query.slice(result.index + result.text.length);
    if (EVENT_ANCHORED.test(text) || /^\s*(?:before|after)\b/i.test(following)) continue;
    const window = windowOf(result, text, now);
    if (window !== undefined) windows.push(window);
  }
  // chrono reads "May 2023" but not a year alone ("in 2022").
  const covered = chrono.parse(query, { instant: reference, timezone: 0 }).map((result) => [result.index, result.index + result.text.length]);
  for (const match of query.matchAll(BARE_YEAR)) {
    const at = match.index + match[0].length - 4;
    if (covered.some(([from, to]) => at >= from! && at < to!)) continue;
    const year = Number(match[1]);
    windows.push({ start: Date.UTC(year, 0, 1), end: Date.UTC(year + 1, 0, 1) - 1 });
  }
  return windows;
}

const BARE_YEAR = /\b(?:in|during|of|since)\s+((?:19|20)\d{2})\b/gi;

function windowOf(result: chrono.ParsedResult, text: string, now: number): TimeWindow | undefined {
  const start = result.start;
  const at = start.date().getTime();
  if (result.end !== undefined && result.end !== null) {
    return { start: startOfDay(at), end: startOfDay(result.end.date().getTime()) + DAY - 1 };
  }
  const unit = UNIT.exec(text)?.[1]?.toLowerCase();
  if (unit !== undefined && AGO_OR_LAST.test(text)) {
    const half = HALF_WIDTH[unit]!;
    return { start: at - half, end: at + half };
  }
  const yearKnown = start.isCertain("year");
  const shift = (window: TimeWindow): TimeWindow => (yearKnown || window.start <= now ? window : shiftYear(window, -1));
  if (start.isCertain("day") || start.isCertain("weekday")) {
    // The day itself and one either side: dates in conversation are loose, and zones differ.
    return shift({ start: startOfDay(at) - DAY, end: startOfDay(at) + 2 * DAY - 1 });
  }
  if (start.isCertain("month")) {
    const date = new Date(at);
    return shift({ start: Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1), end: Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) - 1 });
  }
  if (yearKnown) {
    const year = new Date(at).getUTCFullYear();
    return { start: Date.UTC(year, 0, 1), end: Date.UTC(year + 1, 0, 1) - 1 };
  }
  return undefined;
}

function startOfDay(ms: number): number {
  return Math.floor(ms / DAY) * DAY;
}

function shiftYear(window: TimeWindow, years: number): TimeWindow {
  const move = (ms: number) => {
    const date = new Date(ms);
    date.setUTCFullYear(date.getUTCFullYear() + years);
    return date.getTime();
  };
  return { start: move(window.start), end: move(window.end) };
}

/** A filter that keeps memories whose time falls in any of the windows, within `base`. */
export function withinWindows(base: SearchFilter | undefined, windows: readonly TimeWindow[]): SearchFilter {
  const time: SearchFilter = { OR: windows.map((window) => ({ timestamp: { gte: window.start, lte: window.end } })) };
  return base === undefined ? time : { AND: [base, time] };
}

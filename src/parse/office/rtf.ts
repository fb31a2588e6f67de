/**
 * A small RTF-to-text reader for when LibreOffice is not installed: groups, control words and
 * symbols, `\par`/`\line`/`\tab`/`\cell`/`\row`, `\'hh` bytes in the document's code page
 * (`\ansicpgN`), `\uN` with its `\ucN` fallback skipped, hidden text (`\v`) and binary data
 * (`\binN`) left out, and the destinations that hold no document text (font, colour and style
 * tables, document info, pictures, headers and footers, every `\*` destination) skipped.
 * Per-font character sets (`\fcharset`) are not followed: the document code page is used.
 */
import { TextDecoder } from "node:util";

import { UnsupportedFormatError } from "../../spec/errors.js";
import { tidyText } from "./zip-package.js";

interface GroupState {
  /** Inside a destination whose text is not document content. */
  skip: boolean;
  /** Hidden text (`\v`). */
  hidden: boolean;
  /** Characters that stand in for a `\uN` (`\ucN`, default 1). */
  unicodeFallback: number;
}

const SKIPPED_DESTINATIONS = new Set([
  "fonttbl",
  "colortbl",
  "stylesheet",
  "info",
  "pict",
  "nonshppict",
  "listtable",
  "listoverridetable",
  "rsidtbl",
  "generator",
  "xmlnstbl",
  "themedata",
  "colorschememapping",
  "datastore",
  "latentstyles",
  "revtbl",
  "filetbl",
  "pgdsctbl",
  "header",
  "headerl",
  "headerr",
  "headerf",
  "footer",
  "footerl",
  "footerr",
  "footerf",
  "objdata",
  "fldinst",
  "bkmkstart",
  "bkmkend",
]);

const CHARACTER_WORDS: Readonly<Record<string, string>> = {
  par: "\n",
  line: "\n",
  sect: "\n",
  page: "\n",
  row: "\n",
  cell: "\t",
  nestcell: "\t",
  tab: "\t",
  emdash: "\u2014",
  endash: "\u2013",
  emspace: " ",
  enspace: " ",
  qmspace: " ",
  bullet: "\u2022",
  lquote: "\u2018",
  rquote: "\u2019",
  ldblquote: "\u201c",
  rdblquote: "\u201d",
};

const CODE_PAGE_LABELS: Readonly<Record<number, string>> = {
  437: "windows-1252",
  850: "windows-1252",
  874: "windows-874",
  932: "shift_jis",
  936: "gbk",
  949: "euc-kr",
  950: "big5",
  10000: "macintosh",
  65001: "utf-8",
};

function decoderFor(codePage: number): TextDecoder {
  const label = CODE_PAGE_LABELS[codePage] ?? (codePage >= 1250 && codePage <= 1258 ? `windows-${codePage}` : "windows-1252");
  try {
    return new TextDecoder(label);
  } catch {
    return new TextDecoder("windows-1252");
  }
}

/** True when the bytes start like an RTF document (`{\rtf`, after optional whitespace). */
export function looksLikeRtf(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 64)).toString("latin1").trimStart();
  return head.startsWith("{\\rtf");
}

export function rtfToText(bytes: Uint8Array): string {
  if (!looksLikeRtf(bytes)) throw new UnsupportedFormatError("The file does not start with {\\rtf: not an RTF document");
  // RTF is 7-bit text; any 8-bit byte is a character in the document code page, kept as a byte here.
  const source = Buffer.from(bytes).toString("latin1");
  let decoder = decoderFor(1252);
  let state: GroupState = { skip: false, hidden: false, unicodeFallback: 1 };
  const stack: GroupState[] = [];
  let out = "";
  let pendingBytes: number[] = [];
  /** Fallback characters still to drop after a `\uN`. */
  let toSkip = 0;
  /** The previous token opened a group: a control word here names the group's destination. */
  let groupStart = false;

  const visible = (): boolean => !state.skip && !state.hidden;
  const flush = (): void => {
    if (pendingBytes.length === 0) return;
    out += decoder.decode(Uint8Array.from(pendingBytes));
    pendingBytes = [];
  };
  const emit = (text: string): void => {
    flush();
    if (visible()) out += text;
  };
  const emitByte = (byte: number): void => {
    if (toSkip > 0) {
      toSkip--;
      return;
    }
    if (visible()) pendingBytes.push(byte);
  };

  let index = 0;
  while (index < source.length) {
    const char = source[index] as string;
    if (char === "{") {
      flush();
      stack.push(state);
      state = { ...state };
      toSkip = 0;
      groupStart = true;
      index++;
      continue;
    }
    const atGroupStart = groupStart;
    groupStart = false;
    if (char === "}") {
      flush();
      state = stack.pop() ?? state;
      toSkip = 0;
      index++;
      continue;
    }
    if (char === "\r" || char === "\n") {
      index++;
      continue;
    }
    if (char !== "\\") {
      emitByte(char.charCodeAt(0));
      index++;
      continue;
    }

    // A control word: letters, an optional signed number, and one space that only delimits it.
    const word = /^\\([a-zA-Z]{1,32})(-?\d{1,10})? ?/.exec(source.slice(index, index + 48));
    if (word !== null) {
      index += word[0].length;
      const name = word[1] as string;
      const parameter = word[2] === undefined ? undefined : Number.parseInt(word[2], 10);
      if (name === "bin") {
        flush();
        index += Math.max(0, parameter ?? 0);
        continue;
      }
      if (toSkip > 0) {
        toSkip--;
        continue;
      }
      if (atGroupStart && SKIPPED_DESTINATIONS.has(name)) {
        flush();
        state.skip = true;
        continue;
      }
      switch (name) {
        case "ansicpg":
          flush();
          decoder = decoderFor(parameter ?? 1252);
          break;
        case "mac":
          flush();
          decoder = decoderFor(10000);
          break;
        case "uc":
          state.unicodeFallback = Math.max(0, parameter ?? 1);
          break;
        case "u": {
          const code = parameter === undefined ? 0x3f : parameter < 0 ? parameter + 65536 : parameter;
          emit(String.fromCharCode(code));
          toSkip = state.unicodeFallback;
          break;
        }
        case "v":
          flush();
          state.hidden = parameter !== 0;
          break;
        default: {
          const replacement = CHARACTER_WORDS[name];
          if (replacement !== undefined) emit(replacement);
        }
      }
      continue;
    }

    // A control symbol.
    const symbol = source[index + 1];
    if (symbol === "'") {
      const hex = source.slice(index + 2, index + 4);
      index += 4;
      const byte = Number.parseInt(hex, 16);
      if (!Number.isNaN(byte)) emitByte(byte);
      continue;
    }
    index += 2;
    if (symbol === "*") {
      // An ignorable destination: its text is never document content we can read.
      flush();
      state.skip = true;
      continue;
    }
    if (toSkip > 0) {
      toSkip--;
      continue;
    }
    switch (symbol) {
      case "\\":
      case "{":
      case "}":
        emitByte(symbol.charCodeAt(0));
        break;
      case "~":
        emit(" ");
        break;
      case "_":
        emit("-");
        break;
      case "\n":
      case "\r":
        emit("\n");
        break;
      case "\t":
        emit("\t");
        break;
      default:
        // \- (optional hyphen), \| \: and unknown symbols carry no text.
        break;
    }
  }
  flush();
  return tidyText(
    out
      .replace(/\u00a0/g, " ")
      .split("\n")
      .map((line) => line.replace(/[ \t]+$/, ""))
      .join("\n"),
  );
}

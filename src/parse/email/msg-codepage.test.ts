/**
 * Non-Unicode Outlook messages: PT_STRING8 properties are bytes in the message's code page
 * (PR_MESSAGE_CODEPAGE, else PR_INTERNET_CPID), not Latin-1. The fixtures are written as
 * Outlook writes a Japanese message in code page 932 (Shift_JIS).
 */
import { describe, expect, it } from "vitest";

import { recordingContext } from "../../../test/support/fixtures/documents.js";
import { encodeMsgString, msgFile, type MsgInput } from "../../../test/support/fixtures/msg.js";
import type { ParseInput } from "../../spec/parser.js";
import { decodeMsg, MsgParser } from "./msg-parser.js";

const JAPANESE: MsgInput = {
  subject: "会議の議事録（第３回）",
  body: "明日の会議は十時からです。\r\n資料を添付します。",
  senderName: "山田太郎",
  senderEmail: "taro@example.jp",
  to: { name: "佐藤花子", email: "hanako@example.jp" },
  codePage: 932,
  attachments: [{ fileName: "議題メモ.txt", content: new TextEncoder().encode("予算の確認"), mimeType: "text/plain" }],
};

const input = (bytes: Uint8Array): ParseInput => ({
  bytes,
  format: { format: "msg", mediaType: "application/vnd.ms-outlook", modality: "email" },
  name: "minutes.msg",
});

describe("Outlook .msg in a code page (PT_STRING8)", () => {
  it("writes Shift_JIS bytes in the fixture, as Outlook does for code page 932", () => {
    // 会 = 0x89 0xEF, 議 = 0x8B 0x63 in Shift_JIS; the string ends with a NUL.
    expect([...encodeMsgString("会議", 932)]).toEqual([0x89, 0xef, 0x8b, 0x63, 0x00]);
  });

  it("decodes subject, body, sender, recipient and attachment name by PR_MESSAGE_CODEPAGE 932", () => {
    const email = decodeMsg(msgFile(JAPANESE));
    expect(email.subject).toBe("会議の議事録（第３回）");
    expect(email.text).toBe("明日の会議は十時からです。\r\n資料を添付します。");
    expect(email.from).toBe("山田太郎 <taro@example.jp>");
    expect(email.to).toBe("佐藤花子 <hanako@example.jp>");
    expect(email.attachments.map((attachment) => attachment.filename)).toEqual(["議題メモ.txt"]);
  });

  it("uses PR_INTERNET_CPID when the message code page is missing", () => {
    const email = decodeMsg(msgFile({ ...JAPANESE, codePageProperty: "internet" }));
    expect(email.subject).toBe("会議の議事録（第３回）");
    expect(email.text).toContain("資料を添付します。");
  });

  it("decodes an HTML body (PR_HTML) in the code page when there is no plain body", async () => {
    const bytes = msgFile({ ...JAPANESE, body: "", attachments: [], html: "<html><body><p>出張の報告書です。</p></body></html>" });
    const { context } = recordingContext();
    const output = await new MsgParser().parse(input(bytes), context);
    expect(output.text).toContain("出張の報告書です。");
  });

  it("renders the Japanese message through the parser, attachment parsed under its own name", async () => {
    const { context, calls } = recordingContext();
    const output = await new MsgParser().parse(input(msgFile(JAPANESE)), context);
    expect(output.text).toBe(
      [
        "From: 山田太郎 <taro@example.jp>\nTo: 佐藤花子 <hanako@example.jp>\nSubject: 会議の議事録（第３回）",
        "明日の会議は十時からです。\n資料を添付します。",
        "--- attachment: 議題メモ.txt ---\n予算の確認",
      ].join("\n\n"),
    );
    expect(calls.map((call) => call.name)).toEqual(["議題メモ.txt"]);
  });

  it("leaves a Unicode message (PT_UNICODE, no code page) as it is", () => {
    const email = decodeMsg(msgFile({ ...JAPANESE, codePage: undefined }));
    expect(email.subject).toBe("会議の議事録（第３回）");
    expect(email.from).toBe("山田太郎 <taro@example.jp>");
  });

  it("reads a Western message in code page 1252 (é, €) rather than as Latin-1", () => {
    const email = decodeMsg(msgFile({ ...JAPANESE, subject: "Café menu — 5 €", body: "Crème brûlée", senderName: "Zoë", codePage: 1252, attachments: [] }));
    expect(email.subject).toBe("Café menu — 5 €");
    expect(email.text).toBe("Crème brûlée");
    expect(email.from).toBe("Zoë <taro@example.jp>");
  });
});

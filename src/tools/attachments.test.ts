import { homedir } from "node:os";
import { describe, expect, it } from "vitest";
import { attachmentItem, attachmentSchema } from "./attachments.js";

describe("attachmentItem", () => {
  it("turns a path into a file:// item, relative to the server's folder, with its extension", () => {
    expect(attachmentItem({ path: "scans/receipt one.png" }, "/srv/work")).toEqual({
      type: "image",
      uri: "file:///srv/work/scans/receipt%20one.png",
      ext: "png",
      name: "receipt one.png",
    });
    expect(attachmentItem({ path: "~/notes.pdf" }, "/srv/work").uri).toBe(`file://${homedir()}/notes.pdf`);
  });

  it("takes the name and type of a URL from its path, and of a data: URI from its media type", () => {
    expect(attachmentItem({ url: "https://example.com/files/q3%20report.pdf?x=1" }, "/")).toEqual({
      type: "pdf",
      uri: "https://example.com/files/q3%20report.pdf?x=1",
      ext: "pdf",
      name: "q3 report.pdf",
    });
    expect(attachmentItem({ url: "data:audio/mpeg;base64,AAAA" }, "/")).toMatchObject({ type: "audio", uri: "data:audio/mpeg;base64,AAAA" });
  });

  it("gives base64 an extension from its media type or name, and keeps a declared type", () => {
    expect(attachmentItem({ base64: "JVBERi0=", media_type: "application/pdf" }, "/")).toEqual({ type: "pdf", base64: "JVBERi0=", ext: "pdf" });
    expect(attachmentItem({ base64: "AAAA", name: "mail.eml" }, "/")).toEqual({ type: "email", base64: "AAAA", ext: "eml", name: "mail.eml" });
    expect(attachmentItem({ base64: "AAAA", type: "image" }, "/")).toEqual({ type: "image", base64: "AAAA" });
    // Unknown: a document hint; the bytes decide.
    expect(attachmentItem({ base64: "AAAA" }, "/")).toEqual({ type: "doc", base64: "AAAA" });
  });

  it("the schema wants exactly one of path, url or base64, and no other fields", () => {
    expect(attachmentSchema.safeParse({ path: "/a.png" }).success).toBe(true);
    expect(attachmentSchema.safeParse({}).success).toBe(false);
    expect(attachmentSchema.safeParse({ path: "/a.png", base64: "AAAA" }).success).toBe(false);
    expect(attachmentSchema.safeParse({ path: "/a.png", user_id: "bob" }).success).toBe(false);
  });
});

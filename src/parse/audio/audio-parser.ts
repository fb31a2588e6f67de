/**
 * Audio (mp3 wav m4a ogg flac) to text through the context's Transcriber: an OpenAI-compatible
 * /audio/transcriptions endpoint, or pocketsphinx when installed. The duration is read from
 * the header first, and audio longer than limits.maxAudioSeconds is refused with
 * FILE_TOO_LARGE before anything is sent anywhere.
 */
import path from "node:path";

import { CapabilityUnavailableError, FileSizeError } from "../../spec/errors.js";
import type { ParseContext, ParseInput, ParseOutput, Parser } from "../../spec/parser.js";
import { AUDIO_MEDIA_TYPES, audioDurationSeconds } from "./audio-duration.js";

export const AUDIO_FORMATS = ["mp3", "wav", "m4a", "ogg", "flac"] as const;

export const NO_TRANSCRIBER_MESSAGE =
  "Transcribing audio needs a speech-to-text model: configure [multimodal] base_url/model " +
  "(an OpenAI-compatible /audio/transcriptions endpoint, e.g. whisper-1), or install pocketsphinx " +
  "for local recognition (Debian/Ubuntu: apt-get install pocketsphinx pocketsphinx-en-us ffmpeg)";

/** Extensions transcription endpoints accept for each sniffed format (they go by the file name). */
const ACCEPTED_EXTENSIONS: Readonly<Record<string, readonly string[]>> = {
  mp3: ["mp3", "mpga", "mpeg"],
  wav: ["wav"],
  m4a: ["m4a", "mp4"],
  ogg: ["ogg", "oga"],
  flac: ["flac"],
};

export class AudioParser implements Parser {
  readonly name = "audio";
  readonly formats: readonly string[] = AUDIO_FORMATS;

  async parse(input: ParseInput, context: ParseContext): Promise<ParseOutput> {
    const transcriber = context.transcriber;
    if (transcriber === undefined) {
      throw new CapabilityUnavailableError(NO_TRANSCRIBER_MESSAGE, { duringParse: true, details: { capability: "transcription" } });
    }
    const format = input.format.format;
    const seconds = await audioDurationSeconds(input.bytes, format);
    const limit = context.limits.maxAudioSeconds;
    if (seconds !== undefined && seconds > limit) {
      throw new FileSizeError(`The audio is ${Math.round(seconds)} s long, over the ${limit} s limit`, {
        details: { durationSeconds: seconds, maxAudioSeconds: limit },
      });
    }
    const text = await transcriber.transcribe({
      audio: input.bytes,
      mediaType: input.format.mediaType || (AUDIO_MEDIA_TYPES[format] ?? "application/octet-stream"),
      fileName: transcriptionFileName(input.name, format),
      ...(context.abortSignal === undefined ? {} : { abortSignal: context.abortSignal }),
    });
    return {
      text: text.trim(),
      parser: transcriber.name.startsWith("pocketsphinx") ? "audio/pocketsphinx" : "audio/transcription",
      ...(seconds === undefined ? {} : { provenance: [{ startMs: 0, endMs: Math.round(seconds * 1000) }] }),
    };
  }
}

/** The item's name with an extension that matches the sniffed format (endpoints decode by extension). */
export function transcriptionFileName(name: string | undefined, format: string): string {
  const base = name === undefined || name.trim().length === 0 ? "audio" : path.posix.basename(name.replace(/\\/g, "/"));
  const extension = path.posix.extname(base).slice(1).toLowerCase();
  if ((ACCEPTED_EXTENSIONS[format] ?? [format]).includes(extension)) return base;
  return `${base}.${format}`;
}

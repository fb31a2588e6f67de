/**
 * Audio duration from the container's header, without decoding: WAV by header arithmetic
 * (RIFF and RF64), the other formats (mp3, m4a, ogg, flac) through music-metadata, which reads
 * the stream info (Xing/VBRI frames, moov, the last Ogg granule, STREAMINFO), or estimates a
 * constant-bitrate mp3 from its size.
 */

import { UnsupportedFormatError } from "../../spec/errors.js";

export const AUDIO_MEDIA_TYPES: Readonly<Record<string, string>> = {
  mp3: "audio/mpeg",
  wav: "audio/wav",
  m4a: "audio/mp4",
  ogg: "audio/ogg",
  flac: "audio/flac",
};

/**
 * Seconds of audio, or undefined when the header does not say (a stream without length
 * information). Throws UnsupportedFormatError when the header cannot be read at all.
 */
export async function audioDurationSeconds(bytes: Uint8Array, format: string): Promise<number | undefined> {
  if (format === "wav") {
    const seconds = wavDurationSeconds(bytes);
    if (seconds === undefined) throw new UnsupportedFormatError("The WAV file has no readable RIFF/WAVE header");
    return seconds;
  }
  // Loaded here, not at the top: every CLI call imports the parsers, few read an mp3.
  const { parseBuffer } = await import("music-metadata");
  let duration: number | undefined;
  try {
    const metadata = await parseBuffer(bytes, { mimeType: AUDIO_MEDIA_TYPES[format] ?? "application/octet-stream", size: bytes.length }, {
      duration: false,
      skipCovers: true,
      skipPostHeaders: true,
    });
    duration = metadata.format.duration;
  } catch (error) {
    throw new UnsupportedFormatError(`The ${format} file's header could not be read`, { cause: error });
  }
  return duration !== undefined && Number.isFinite(duration) && duration >= 0 ? duration : undefined;
}

/** WAV (RIFF or RF64) duration: data bytes over bytes per second; undefined when it is not WAV. */
export function wavDurationSeconds(bytes: Uint8Array): number | undefined {
  if (bytes.length < 12) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const id = ascii(bytes, 0, 4);
  if ((id !== "RIFF" && id !== "RF64") || ascii(bytes, 8, 4) !== "WAVE") return undefined;
  let byteRate: number | undefined;
  let dataSize: number | undefined;
  let rf64DataSize: number | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const chunkId = ascii(bytes, offset, 4);
    const chunkSize = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (chunkId === "ds64" && body + 16 <= bytes.length) {
      rf64DataSize = Number(view.getBigUint64(body + 8, true));
    } else if (chunkId === "fmt " && body + 16 <= bytes.length) {
      byteRate = view.getUint32(body + 8, true);
    } else if (chunkId === "data") {
      const available = bytes.length - body;
      // 0xFFFFFFFF (RF64, or a stream whose length was unknown) or 0: the data runs to the end.
      const declared = chunkSize === 0xffffffff || chunkSize === 0 ? (rf64DataSize ?? available) : chunkSize;
      dataSize = Math.min(declared, available);
      break;
    }
    // Chunks are padded to an even length.
    offset = body + chunkSize + (chunkSize % 2);
  }
  if (byteRate === undefined || byteRate === 0 || dataSize === undefined) return undefined;
  return dataSize / byteRate;
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(start, start + length));
}

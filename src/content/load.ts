import { FileSizeError, UriRejectedError, ValidationError } from "../spec/errors.js";
import type { Part } from "../spec/types.js";
import { decodeBase64Strict, decodeDataUri } from "./base64.js";
import { fetchHttp, type HostLookup, type HttpFetchHooks } from "./fetch-http.js";
import { loadFileUri } from "./load-file.js";

/**
 * content/load: the bytes of a canonical Part, from wherever its payload lives, under the
 * configured caps and network/file-system guards.
 */

export interface LoadOptions {
  /** Cap for http(s), base64, data: URI and raw-byte payloads (`[multimodal] max_bytes`). */
  maxBytes: number;
  /** Whole-fetch time limit, redirects and body included (`fetch_timeout_ms`). */
  fetchTimeoutMs: number;
  /** Allow http(s) to loopback/private/link-local addresses (`allow_private_hosts`); metadata endpoints stay refused. */
  allowPrivateHosts: boolean;
  /** Cap for file:// payloads (`file_uri_max_bytes`). */
  fileUriMaxBytes: number;
  /** Real-path roots file:// URIs must be inside; empty: anywhere (`file_uri_allow_dirs`). */
  fileUriAllowDirs: string[];
  /** Real-path folders file:// URIs never read, even inside allowed dirs: omnimem's own data root. */
  fileUriDenyDirs?: string[];
  /** Whether file:// URIs are read at all (the server turns this off for callers it cannot trust with its disk). */
  allowFileUris: boolean;
  maxRedirects: number;
  /** DNS resolution for http(s) hosts; every address it returns is checked. Default: the system resolver. */
  lookup?: HostLookup;
  signal?: AbortSignal;
  /** Where the item sits in the request (`messages[0].content[1]`), for error details. */
  path?: string;
}

const MIB = 1024 * 1024;

export const DEFAULT_LOAD_OPTIONS: Readonly<LoadOptions> = Object.freeze({
  maxBytes: 50 * MIB,
  fetchTimeoutMs: 30_000,
  allowPrivateHosts: false,
  fileUriMaxBytes: 50 * MIB,
  fileUriAllowDirs: [],
  allowFileUris: true,
  maxRedirects: 5,
});

/** A Part that carries a payload (every type but text). */
export type PayloadPart = Exclude<Part, { type: "text" }>;

export type LoadSource = "base64" | "data-uri" | "http" | "file" | "bytes";

export interface LoadedPayload {
  bytes: Uint8Array;
  /** The part's own media type if it gave one, else what the transport said (data: header, Content-Type). */
  mediaType?: string;
  /** The part's name, else the file's or the URL's last segment. */
  name?: string;
  source: LoadSource;
}

function withPathDetails(path: string | undefined): Record<string, unknown> {
  return path === undefined ? {} : { path };
}

function loaded(part: PayloadPart, source: LoadSource, bytes: Uint8Array, transport: { mediaType?: string | undefined; name?: string | undefined }): LoadedPayload {
  const result: LoadedPayload = { bytes, source };
  const mediaType = part.mediaType ?? transport.mediaType;
  const name = part.name ?? transport.name;
  if (mediaType !== undefined) result.mediaType = mediaType;
  if (name !== undefined) result.name = name;
  return result;
}

export async function loadPart(part: PayloadPart, options: Partial<LoadOptions> = {}, hooks: HttpFetchHooks = {}): Promise<LoadedPayload> {
  const settings: LoadOptions = { ...DEFAULT_LOAD_OPTIONS, ...stripUndefined(options) };
  const { path } = settings;
  const source = part.source;

  switch (source.kind) {
    case "bytes": {
      if (source.data.byteLength > settings.maxBytes) {
        throw new FileSizeError(`payload is ${source.data.byteLength} bytes, over the ${settings.maxBytes}-byte cap`, {
          details: { size: source.data.byteLength, maxBytes: settings.maxBytes, ...withPathDetails(path) },
        });
      }
      return loaded(part, "bytes", source.data, {});
    }
    case "base64": {
      if (/^data:/i.test(source.data)) {
        const { bytes, mediaType } = decodeDataUri(source.data, { maxBytes: settings.maxBytes, ...withPathDetails(path) });
        return loaded(part, "data-uri", bytes, { mediaType });
      }
      return loaded(part, "base64", decodeBase64Strict(source.data, { maxBytes: settings.maxBytes, ...withPathDetails(path) }), {});
    }
    case "url": {
      let url: URL;
      try {
        url = new URL(source.url);
      } catch (cause) {
        throw new ValidationError("invalid URL", { cause, details: withPathDetails(path) });
      }
      switch (url.protocol) {
        case "data:": {
          const { bytes, mediaType } = decodeDataUri(source.url, { maxBytes: settings.maxBytes, ...withPathDetails(path) });
          return loaded(part, "data-uri", bytes, { mediaType });
        }
        case "http:":
        case "https:": {
          const fetched = await fetchHttp(
            url,
            {
              maxBytes: settings.maxBytes,
              fetchTimeoutMs: settings.fetchTimeoutMs,
              allowPrivateHosts: settings.allowPrivateHosts,
              maxRedirects: settings.maxRedirects,
              ...(settings.lookup === undefined ? {} : { lookup: settings.lookup }),
              ...(settings.signal === undefined ? {} : { signal: settings.signal }),
              ...withPathDetails(path),
            },
            hooks,
          );
          return loaded(part, "http", fetched.bytes, fetched);
        }
        case "file:": {
          const file = await loadFileUri(url, {
            allowFileUris: settings.allowFileUris,
            fileUriMaxBytes: settings.fileUriMaxBytes,
            fileUriAllowDirs: settings.fileUriAllowDirs,
            fileUriDenyDirs: settings.fileUriDenyDirs ?? [],
            ...withPathDetails(path),
          });
          return loaded(part, "file", file.bytes, { name: file.name });
        }
        default:
          throw new UriRejectedError(`URL scheme ${url.protocol} is not supported (use http(s), data: or file:)`, {
            details: { reason: "scheme", scheme: url.protocol, ...withPathDetails(path) },
          });
      }
    }
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}

import { lookup as dnsLookup } from "node:dns/promises";
import type { IncomingMessage } from "node:http";
import http from "node:http";
import https from "node:https";
import type { LookupAddress } from "node:dns";
import { isIP } from "node:net";
import { pipeline, type Readable } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { FileSizeError, OmnimemError, UriRejectedError } from "../spec/errors.js";
import { type AddressVerdict, checkAddress, checkHostname } from "./address-policy.js";
import { mediaTypeEssence } from "./formats.js";

/**
 * Server-side http(s) fetch for URLs clients send. Guarded against SSRF: every hop (the first
 * request and each redirect, followed by hand) is checked by name, and every address its name
 * resolves to is checked before the socket connects — to that same address, so a DNS answer
 * that changes between check and connect (rebinding) cannot slip through.
 */

export interface HostAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to its addresses (default: the system resolver). Tests inject one. */
export type HostLookup = (hostname: string) => Promise<HostAddress[]>;

export interface HttpFetchOptions {
  maxBytes: number;
  fetchTimeoutMs: number;
  allowPrivateHosts: boolean;
  maxRedirects: number;
  lookup?: HostLookup;
  signal?: AbortSignal;
  /** Error-detail path of the item being loaded. */
  path?: string;
}

/** Internal seams for tests; never exposed through configuration. */
export interface HttpFetchHooks {
  /** Replaces the address policy (e.g. to treat the loopback test server as public). */
  checkAddress?: (address: string, allowPrivateHosts: boolean) => AddressVerdict;
}

export interface HttpFetchResult {
  bytes: Uint8Array;
  mediaType?: string;
  name?: string;
  /** The URL the bytes came from, after redirects. */
  finalUrl: string;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const GENERIC_MEDIA_TYPES = new Set(["application/octet-stream", "binary/octet-stream", "application/unknown"]);

/** The URL without credentials or query, for messages and logs. */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

async function systemLookup(hostname: string): Promise<HostAddress[]> {
  const addresses = await dnsLookup(hostname, { all: true, verbatim: true });
  return addresses.map((entry) => ({ address: entry.address, family: entry.family === 6 ? 6 : 4 }));
}

function rejected(message: string, reason: string, path: string | undefined, extra: Record<string, unknown> = {}, cause?: unknown): UriRejectedError {
  return new UriRejectedError(message, {
    ...(cause === undefined ? {} : { cause }),
    details: { reason, ...extra, ...(path === undefined ? {} : { path }) },
  });
}

function nameFromResponse(response: IncomingMessage, url: URL): string | undefined {
  const disposition = response.headers["content-disposition"];
  if (typeof disposition === "string") {
    const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition)?.[1];
    if (extended !== undefined) {
      try {
        return decodeURIComponent(extended.trim());
      } catch {
        // fall through to the plain parameter
      }
    }
    const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(disposition)?.[1]?.trim();
    if (plain !== undefined && plain !== "") return plain.split(/[\\/]/).pop();
  }
  const segment = url.pathname.split("/").pop() ?? "";
  if (segment === "") return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export async function fetchHttp(url: URL, options: HttpFetchOptions, hooks: HttpFetchHooks = {}): Promise<HttpFetchResult> {
  const policy = hooks.checkAddress ?? checkAddress;
  const resolve = options.lookup ?? systemLookup;
  const { path } = options;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.fetchTimeoutMs);
  const onOuterAbort = (): void => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) controller.abort(options.signal.reason);
  options.signal?.addEventListener("abort", onOuterAbort, { once: true });

  let current = url;
  /** A lookup refusal, kept because the socket layer may wrap the error it is handed. */
  let lookupRefusal: UriRejectedError | undefined;

  const refuseAddress = (hostname: string, address: string, verdict: AddressVerdict): UriRejectedError =>
    rejected(
      `refused to fetch ${displayUrl(current)}: ${hostname === address ? `${address} is` : `${hostname} resolves to ${address},`} a ${verdict.category} address` +
        (verdict.category === "metadata" || options.allowPrivateHosts ? "" : " (set allow_private_hosts to allow private addresses)"),
      "address",
      path,
      { host: hostname, address, category: verdict.category },
    );

  // Node calls this for every connection to a host name; an IP literal never reaches it and is checked before.
  const guardedLookup = (
    hostname: string,
    lookupOptions: { all?: boolean; family?: number | string },
    callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    resolve(hostname).then(
      (addresses) => {
        if (addresses.length === 0) {
          callback(Object.assign(new Error(`no addresses for ${hostname}`), { code: "ENOTFOUND" }), "", 0);
          return;
        }
        for (const entry of addresses) {
          const verdict = policy(entry.address, options.allowPrivateHosts);
          if (!verdict.allowed) {
            lookupRefusal = refuseAddress(hostname, entry.address, verdict);
            callback(lookupRefusal, "", 0);
            return;
          }
        }
        const family = lookupOptions.family === 6 || lookupOptions.family === "IPv6" ? 6 : lookupOptions.family === 4 || lookupOptions.family === "IPv4" ? 4 : 0;
        const usable = family === 0 ? addresses : addresses.filter((entry) => entry.family === family);
        const first = usable[0];
        if (first === undefined) {
          callback(Object.assign(new Error(`no IPv${family} address for ${hostname}`), { code: "ENOTFOUND" }), "", 0);
          return;
        }
        if (lookupOptions.all === true) callback(null, usable.map((entry) => ({ address: entry.address, family: entry.family })));
        else callback(null, first.address, first.family);
      },
      (error: unknown) => callback(error as NodeJS.ErrnoException, "", 0),
    );
  };

  const mapError = (error: unknown): OmnimemError => {
    if (error instanceof OmnimemError) return error;
    if (lookupRefusal !== undefined) return lookupRefusal;
    if (timedOut) {
      return rejected(`fetching ${displayUrl(current)} timed out after ${options.fetchTimeoutMs} ms`, "timeout", path, { timeoutMs: options.fetchTimeoutMs }, error);
    }
    if (options.signal?.aborted) return rejected(`fetching ${displayUrl(current)} was cancelled`, "aborted", path, {}, error);
    const code = (error as { code?: unknown }).code;
    const detail = typeof code === "string" ? code : error instanceof Error ? error.message : String(error);
    return rejected(`${displayUrl(current)} is unreachable (${detail})`, "unreachable", path, {}, error);
  };

  try {
    for (let redirects = 0; ; redirects++) {
      checkHop(current);
      const response = await request(current);
      const status = response.statusCode ?? 0;
      if (REDIRECT_STATUSES.has(status) && response.headers.location !== undefined) {
        response.destroy();
        if (redirects >= options.maxRedirects) {
          throw rejected(`too many redirects fetching ${displayUrl(url)} (limit ${options.maxRedirects})`, "redirects", path, { maxRedirects: options.maxRedirects });
        }
        let next: URL;
        try {
          next = new URL(response.headers.location, current);
        } catch (cause) {
          throw rejected(`${displayUrl(current)} redirects to an invalid URL`, "redirect", path, {}, cause);
        }
        current = next;
        continue;
      }
      if (status < 200 || status >= 300) {
        response.destroy();
        throw rejected(`fetching ${displayUrl(current)} failed: HTTP ${status}`, "http-status", path, { status });
      }
      const bytes = await readBody(response);
      const mediaType = mediaTypeEssence(response.headers["content-type"]);
      const name = nameFromResponse(response, current);
      return {
        bytes,
        ...(mediaType === undefined || GENERIC_MEDIA_TYPES.has(mediaType) ? {} : { mediaType }),
        ...(name === undefined ? {} : { name }),
        finalUrl: current.href,
      };
    }
  } catch (error) {
    controller.abort();
    throw mapError(error);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onOuterAbort);
  }

  function checkHop(target: URL): void {
    if (target.protocol !== "http:" && target.protocol !== "https:") {
      throw rejected(`refused to follow ${displayUrl(url)} to a ${target.protocol} URL`, "scheme", path, { scheme: target.protocol });
    }
    const hostname = target.hostname.startsWith("[") ? target.hostname.slice(1, -1) : target.hostname;
    if (hostname === "") throw rejected(`${target.href} has no host`, "host", path);
    const byName = checkHostname(hostname, options.allowPrivateHosts);
    if (!byName.allowed) throw rejected(`refused to fetch ${displayUrl(target)}: ${byName.reason ?? "host not allowed"}`, "host", path, { host: hostname });
    if (isIP(hostname) !== 0) {
      const verdict = policy(hostname, options.allowPrivateHosts);
      if (!verdict.allowed) throw refuseAddress(hostname, hostname, verdict);
    }
  }

  function request(target: URL): Promise<IncomingMessage> {
    return new Promise((resolvePromise, reject) => {
      const transport = target.protocol === "https:" ? https : http;
      const outgoing = transport.request(
        target,
        {
          method: "GET",
          headers: { "user-agent": "omnimem", accept: "*/*", "accept-encoding": "gzip, deflate, br" },
          lookup: guardedLookup as never,
          // A fresh connection per request: a pooled socket could belong to a host checked under another name.
          agent: false,
          signal: controller.signal,
        },
        resolvePromise,
      );
      outgoing.on("error", reject);
      outgoing.end();
    });
  }

  async function readBody(response: IncomingMessage): Promise<Uint8Array> {
    const tooLarge = (size: number | string): FileSizeError =>
      new FileSizeError(`${displayUrl(current)} is larger than the ${options.maxBytes}-byte cap (${size} bytes)`, {
        details: { maxBytes: options.maxBytes, size, reason: "max-bytes", ...(path === undefined ? {} : { path }) },
      });
    const encoding = String(response.headers["content-encoding"] ?? "identity").trim().toLowerCase();
    const declared = Number(response.headers["content-length"]);
    if (encoding === "identity" && Number.isFinite(declared) && declared > options.maxBytes) {
      response.destroy();
      throw tooLarge(declared);
    }
    let body: Readable = response;
    const noop = (): void => undefined;
    if (encoding === "gzip" || encoding === "x-gzip") body = pipeline(response, createGunzip(), noop);
    else if (encoding === "deflate") body = pipeline(response, createInflate(), noop);
    else if (encoding === "br") body = pipeline(response, createBrotliDecompress(), noop);
    else if (encoding !== "identity" && encoding !== "") {
      response.destroy();
      throw rejected(`${displayUrl(current)} uses an unsupported content-encoding ${JSON.stringify(encoding)}`, "content-encoding", path);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of body) {
        const buffer = chunk as Buffer;
        total += buffer.byteLength;
        // Stop reading the moment the cap is passed; the rest is never downloaded.
        if (total > options.maxBytes) throw tooLarge(`more than ${options.maxBytes}`);
        chunks.push(buffer);
      }
    } catch (error) {
      response.destroy();
      body.destroy();
      throw error;
    }
    if (!response.complete) throw rejected(`${displayUrl(current)} closed the connection before the body was complete`, "unreachable", path);
    const joined = Buffer.concat(chunks, total);
    return new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength);
  }
}

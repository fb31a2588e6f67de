/**
 * Every error omnimem raises on purpose. One class per stable `code`; `ERROR_TABLE` maps a
 * code to its HTTP status and CLI exit code so the server and the CLI never disagree.
 */

export const ERROR_CODES = [
  "INVALID_INPUT",
  "UNSUPPORTED_FORMAT",
  "INVALID_IMAGE",
  "FILE_TOO_LARGE",
  "URI_REJECTED",
  "CAPABILITY_UNAVAILABLE",
  "NOT_FOUND",
  "PROVIDER_ERROR",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "PAYLOAD_TOO_LARGE",
  "INDEX_MISMATCH",
  "STORE_LOCKED",
  "REQUEST_TIMEOUT",
  "INTERNAL",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorTableRow {
  readonly http: number;
  readonly exitCode: number;
}

/** code → HTTP status and CLI exit code. Exit codes 64–78 follow sysexits.h where one fits. */
export const ERROR_TABLE: Readonly<Record<ErrorCode, ErrorTableRow>> = {
  INVALID_INPUT: { http: 422, exitCode: 65 },
  UNSUPPORTED_FORMAT: { http: 415, exitCode: 66 },
  INVALID_IMAGE: { http: 415, exitCode: 67 },
  FILE_TOO_LARGE: { http: 415, exitCode: 68 },
  URI_REJECTED: { http: 415, exitCode: 69 },
  CAPABILITY_UNAVAILABLE: { http: 503, exitCode: 70 },
  NOT_FOUND: { http: 404, exitCode: 71 },
  PROVIDER_ERROR: { http: 503, exitCode: 72 },
  UNAUTHORIZED: { http: 401, exitCode: 73 },
  FORBIDDEN: { http: 403, exitCode: 74 },
  PAYLOAD_TOO_LARGE: { http: 413, exitCode: 75 },
  INDEX_MISMATCH: { http: 503, exitCode: 76 },
  STORE_LOCKED: { http: 503, exitCode: 77 },
  REQUEST_TIMEOUT: { http: 503, exitCode: 78 },
  INTERNAL: { http: 500, exitCode: 1 },
};

export interface OmnimemErrorOptions {
  cause?: unknown;
  /** Extra structured detail (a field path, a limit, a pid) for logs and error envelopes. */
  details?: Record<string, unknown>;
}

export abstract class OmnimemError extends Error {
  abstract readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  /** True when the same call may succeed if tried again later. */
  readonly isRetryable: boolean = false;

  constructor(message: string, options: OmnimemErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options.details;
  }

  get httpStatus(): number {
    return ERROR_TABLE[this.code].http;
  }

  get exitCode(): number {
    return ERROR_TABLE[this.code].exitCode;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export class ValidationError extends OmnimemError {
  readonly code = "INVALID_INPUT" as const;
}

export class UnsupportedFormatError extends OmnimemError {
  readonly code = "UNSUPPORTED_FORMAT" as const;
}

/** Mem0's name: an image that does not decode or has a format we cannot read. */
export class InvalidImageError extends OmnimemError {
  readonly code = "INVALID_IMAGE" as const;
}

/** Mem0's name: a payload over its size cap. */
export class FileSizeError extends OmnimemError {
  readonly code = "FILE_TOO_LARGE" as const;
}

export class UriRejectedError extends OmnimemError {
  readonly code = "URI_REJECTED" as const;
}

export interface CapabilityUnavailableOptions extends OmnimemErrorOptions {
  /** A parse that needs the capability answers 415 (the input cannot be handled); anything else 503. */
  duringParse?: boolean;
}

export class CapabilityUnavailableError extends OmnimemError {
  readonly code = "CAPABILITY_UNAVAILABLE" as const;
  readonly duringParse: boolean;
  constructor(message: string, options: CapabilityUnavailableOptions = {}) {
    super(message, options);
    this.duringParse = options.duringParse ?? false;
  }
  override get httpStatus(): number {
    return this.duringParse ? 415 : 503;
  }
}

export class NotFoundError extends OmnimemError {
  readonly code = "NOT_FOUND" as const;
}

export interface ProviderErrorOptions extends OmnimemErrorOptions {
  isRetryable?: boolean;
}

/** A model endpoint (LLM, embeddings, transcription) failed after its retries. */
export class ProviderError extends OmnimemError {
  readonly code = "PROVIDER_ERROR" as const;
  override readonly isRetryable: boolean;
  constructor(message: string, options: ProviderErrorOptions = {}) {
    super(message, options);
    this.isRetryable = options.isRetryable ?? true;
  }
}

export class AuthError extends OmnimemError {
  readonly code: "UNAUTHORIZED" | "FORBIDDEN";
  constructor(code: "UNAUTHORIZED" | "FORBIDDEN", message: string, options: OmnimemErrorOptions = {}) {
    super(message, options);
    this.code = code;
  }
}

export class PayloadTooLargeError extends OmnimemError {
  readonly code = "PAYLOAD_TOO_LARGE" as const;
}

/** The search index was built with another embedding model or dimension than the one configured. */
export class IndexMismatchError extends OmnimemError {
  readonly code = "INDEX_MISMATCH" as const;
}

/** Another process holds the data root. */
export class StoreLockedError extends OmnimemError {
  readonly code = "STORE_LOCKED" as const;
}

/**
 * The server answered before the request's work finished (`server.request_timeout_ms`): the
 * connection is freed, but work already under way (an add) may still complete.
 */
export class RequestTimeoutError extends OmnimemError {
  readonly code = "REQUEST_TIMEOUT" as const;
}

/** A bug or an environment failure we did not anticipate; always carries the cause. */
export class InternalError extends OmnimemError {
  readonly code = "INTERNAL" as const;
}

/**
 * An update made from a version of a memory that another writer has changed since it was read
 * (another server on the same database): the store wrote nothing, and the caller reads the memory
 * again and re-applies its change. Only seen when retries run out.
 */
export class StaleRecordError extends InternalError {}

export function isOmnimemError(error: unknown): error is OmnimemError {
  return error instanceof OmnimemError;
}

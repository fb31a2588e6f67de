/** `omnimem/client`: the typed HTTP client. It loads no part of the server or the library's engine. */
export { OmnimemClient, errorFromResponse, type ClientAddRequest, type ClientMessage, type OmnimemClientOptions } from "./client.js";
export * from "../spec/errors.js";
export type * from "../spec/http.js";
export type { HistoryEntry, Metadata, SearchFilter, SearchMethod } from "../spec/types.js";

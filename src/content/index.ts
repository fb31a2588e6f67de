export { normalizeContent } from "./normalize.js";
export { DEFAULT_LOAD_OPTIONS, loadPart, type LoadedPayload, type LoadOptions, type LoadSource, type PayloadPart } from "./load.js";
export type { HostAddress, HostLookup } from "./fetch-http.js";
export { sniff, type SniffHints } from "./sniff.js";
export {
  extensionOfName,
  FORMAT_IDS,
  FORMATS,
  formatFromExtension,
  formatFromMediaType,
  type FormatId,
  type FormatInfo,
  mediaTypeEssence,
  normalizeExtension,
} from "./formats.js";
export { decodeBase64Strict, decodeDataUri, parseDataUri } from "./base64.js";
export { checkAddress, classifyAddress, type AddressCategory } from "./address-policy.js";

export { TextParser, TEXT_FORMATS, decodeUtf8Strict, prettyJson } from "./text-parser.js";

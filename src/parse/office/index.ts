export { OfficeParser, OFFICE_FORMATS, type OfficeFormat, type OfficeParserOptions } from "./office-parser.js";
export {
  convertToPdf,
  convertWithLibreOffice,
  detectSoffice,
  resetSofficeDetection,
  LIBREOFFICE_DEBIAN_PACKAGES,
  LIBREOFFICE_INSTALL_HINT,
  type LibreOfficeConversionOptions,
} from "./libreoffice.js";
export { extractDocxText } from "./docx.js";
export { extractXlsxText } from "./xlsx.js";
export { extractPptxText } from "./pptx.js";
export { extractOpenDocumentText, type OpenDocumentKind } from "./opendocument.js";
export { rtfToText, looksLikeRtf } from "./rtf.js";
export { findExecutable, runProcess, type RunProcessOptions, type RunProcessResult } from "../../util/external-process.js";

import { createRequire } from "node:module";
import type { Memory } from "../memory.js";
import { LIBREOFFICE_INSTALL_HINT, detectSoffice } from "../parse/office/libreoffice.js";
import { detectPocketsphinx } from "../providers/transcription/pocketsphinx-transcriber.js";
import type { Backend } from "../spec/backend.js";
import type { CapabilityReport, HealthReport } from "../spec/http.js";

/** The package's version, read once (src/server and dist/server both sit two levels below it). */
export const OMNIMEM_VERSION: string = (() => {
  try {
    return (createRequire(import.meta.url)("../../package.json") as { version: string }).version;
  } catch {
    return "unknown";
  }
})();

export interface HealthReportOptions {
  /**
   * Name where things are: the data folder or database, the tools' paths. Off for a caller the
   * server does not know (/health is open): a path on disk helps an attacker aim file:// or
   * guess the layout, and tells a health check nothing it needs. Default: on.
   */
  locations?: boolean;
}

/** What the memory can do now, and for each missing piece what would add it. */
export function healthReport(memory: Memory, options: HealthReportOptions = {}): HealthReport {
  const locations = options.locations ?? true;
  const { config } = memory;
  const { multimodal } = config;
  const vision = multimodal.model;
  const soffice = detectSoffice();
  const pocketsphinx = multimodal.transcriptionModel === undefined ? detectPocketsphinx() : undefined;

  const llm: CapabilityReport =
    memory.mode === "llm"
      ? { state: "enabled", detail: `extraction, boundaries and agentic search with ${config.llm?.model ?? "a configured chat model"}` }
      : {
          state: "local",
          detail: "local mode: rule-based episodes stored verbatim, no facts; agentic search is hybrid",
          enable: "set [llm] model and base_url (OMNIMEM_LLM__MODEL, OMNIMEM_LLM__BASE_URL, OMNIMEM_LLM__API_KEY)",
        };
  const multimodalReport: CapabilityReport =
    vision !== undefined
      ? { state: "enabled", detail: `images and scanned pages described by ${vision}` }
      : {
          state: "local",
          detail: multimodal.ocr ? "local parsers; images and scanned pages through local OCR" : "local parsers; no image reading",
          enable: "set [multimodal] model and base_url (OMNIMEM_MULTIMODAL__MODEL, OMNIMEM_MULTIMODAL__BASE_URL) for a vision model",
        };
  const embedding = embeddingCapability(memory);
  const ocr: CapabilityReport = multimodal.ocr
    ? { state: "enabled", detail: "tesseract.js with its bundled English data" }
    : { state: "unavailable", detail: "local OCR is turned off", enable: "set OMNIMEM_MULTIMODAL__OCR=true" };
  const office: CapabilityReport =
    soffice !== undefined
      ? { state: "enabled", detail: locations ? `LibreOffice at ${soffice}` : "LibreOffice" }
      : {
          state: "local",
          detail: "built-in readers for docx, xlsx, pptx, odt, ods, odp and rtf; no legacy doc, xls or ppt",
          enable: LIBREOFFICE_INSTALL_HINT,
        };
  const audio: CapabilityReport =
    multimodal.transcriptionModel !== undefined
      ? { state: "enabled", detail: `transcription by ${multimodal.transcriptionModel}` }
      : pocketsphinx !== undefined
        ? {
            state: "local",
            detail: locations ? `local recognition with pocketsphinx at ${pocketsphinx.recognizer.path}` : "local recognition with pocketsphinx",
            enable: "set [multimodal] transcription_model (OMNIMEM_MULTIMODAL__TRANSCRIPTION_MODEL) for better transcripts",
          }
        : {
            state: "unavailable",
            detail: "no speech-to-text: audio items are refused (415 CAPABILITY_UNAVAILABLE)",
            enable:
              "set [multimodal] transcription_model and base_url (OMNIMEM_MULTIMODAL__TRANSCRIPTION_MODEL), " +
              "or install pocketsphinx (apt-get install pocketsphinx pocketsphinx-en-us ffmpeg)",
          };
  return {
    status: "ok",
    version: OMNIMEM_VERSION,
    mode: memory.mode,
    capabilities: { llm, multimodal: multimodalReport, embedding, ocr, office, audio, store: storeCapability(memory.backend, locations) },
  };
}

/**
 * The backend and where it is. A PostgreSQL backend serving without pgvector (keyword-only mode)
 * says so, naming the extension: vector search there answers CAPABILITY_UNAVAILABLE.
 */
export function storeCapability(backend: Backend, locations = true): CapabilityReport {
  const { kind, location: where } = backend.describe();
  const location = locations ? where : "(location shown with an API key)";
  if (kind === "embedded") return { state: "enabled", detail: locations ? `embedded: markdown, SQLite and LanceDB under ${where}` : "embedded: markdown, SQLite and LanceDB" };
  if (backend.index.hasVectors === false) {
    return {
      state: "local",
      detail: `${kind}: ${location}; keyword search only: vector search is CAPABILITY_UNAVAILABLE because the PostgreSQL extension "vector" (pgvector) is missing`,
      enable: "CREATE EXTENSION vector in the database (managed services list it among their extensions), then restart",
    };
  }
  return { state: "enabled", detail: `${kind}: ${location}` };
}

const ENABLE_ENDPOINT = "set [embedding] model and base_url (OMNIMEM_EMBEDDING__MODEL, OMNIMEM_EMBEDDING__BASE_URL)";
const CHOSEN_BY = { config: "named in the config", root: "the one this root was built with", default: "the default for a new root" } as const;

/** Which embedder the root uses, by name, and why that one. */
function embeddingCapability(memory: Memory): CapabilityReport {
  const info = memory.embedderInfo;
  // Not destructured: the dimension is read only where it is shown (an unopened memory's endpoint has none yet).
  const { name, model, chosenBy } = info;
  const why = chosenBy === undefined ? "" : `; ${CHOSEN_BY[chosenBy]}`;
  switch (name) {
    case "endpoint":
      return { state: "enabled", detail: `${model} at the configured endpoint` };
    case "custom":
      return { state: "enabled", detail: `${model} (an embedder passed to Memory, ${info.dimensions} dimensions)` };
    case "word-vectors":
      return {
        state: "local",
        detail: `word-vectors: local GloVe word vectors, SIF-weighted (${info.dimensions} dimensions${why}): offline, finds paraphrases`,
        enable: `${ENABLE_ENDPOINT} for a stronger embedding model`,
      };
    case "hashed":
      return {
        state: "local",
        detail: `hashed: local words and character trigrams (${info.dimensions} dimensions${why}): matches words, not meaning`,
        enable: `omnimem reindex --embedder word-vectors for offline meaning, or ${ENABLE_ENDPOINT} for semantic recall`,
      };
  }
}

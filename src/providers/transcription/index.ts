export { OpenAICompatibleTranscriber, type OpenAICompatibleTranscriberOptions } from "./openai-transcriber.js";
export {
  PocketsphinxTranscriber,
  createLocalTranscriber,
  detectPocketsphinx,
  resetPocketsphinxDetection,
  parsePocketsphinxOutput,
  isRecognizerReadyWav,
  POCKETSPHINX_DEBIAN_PACKAGES,
  POCKETSPHINX_INSTALL_HINT,
  type PocketsphinxInstallation,
  type PocketsphinxTranscriberOptions,
} from "./pocketsphinx-transcriber.js";

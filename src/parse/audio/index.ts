export { AudioParser, AUDIO_FORMATS, NO_TRANSCRIBER_MESSAGE, transcriptionFileName } from "./audio-parser.js";
export { audioDurationSeconds, wavDurationSeconds, AUDIO_MEDIA_TYPES } from "./audio-duration.js";

export { EmlParser, decodeEml } from "./eml-parser.js";
export { MsgParser, decodeMsg, mapMsgFields, type MsgAttachmentLoader } from "./msg-parser.js";
export {
  renderEmail,
  formatDate,
  DEFAULT_MAX_EMAIL_NESTING_DEPTH,
  type EmailContent,
  type EmailAttachmentContent,
  type EmailParserOptions,
} from "./email-render.js";

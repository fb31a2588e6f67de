export { HtmlParser, HTML_FORMATS, withTitle } from "./html-parser.js";
export { htmlToMarkdown, decodeHtmlBytes, type HtmlToMarkdownResult } from "./html-to-markdown.js";

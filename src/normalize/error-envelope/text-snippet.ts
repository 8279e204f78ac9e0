// The start of a text error body as one readable line: what a client can show or log.

const SNIPPET_CHARS = 200;
/** HTML error pages carry their message after a <head> of styles: look this far, no further. */
const HTML_SCAN_CHARS = 16_384;

const HIDDEN_BLOCKS = /<(script|style|head)\b[^>]*>[\s\S]*?<\/\1\s*>|<!--[\s\S]*?-->/gi;
const TAGS = /<[^>]*>/g;
const ENTITIES = /&(amp|lt|gt|quot|apos|nbsp|#39);/g;
const ENTITY_TEXT: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " ", "#39": "'" };
// C0 and C1 controls, DEL, line and paragraph separators: all become spaces, then runs collapse.
const CONTROLS_AND_SPACE = /[\u0000-\u0020\u007f-\u009f\u2028\u2029]+/g;

/** The first 200 characters of `text` on one line, controls removed; HTML loses its markup. */
export function textSnippet(text: string, html: boolean): string {
  let s = text;
  if (html) {
    s = s.slice(0, HTML_SCAN_CHARS).replace(HIDDEN_BLOCKS, " ").replace(TAGS, " ");
    s = s.replace(ENTITIES, (_, name: string) => ENTITY_TEXT[name] ?? "");
  }
  s = s.replace(CONTROLS_AND_SPACE, " ").trim();
  if (s.length <= SNIPPET_CHARS) return s;
  // Never cut a surrogate pair in half.
  const cut = (s.charCodeAt(SNIPPET_CHARS - 1) & 0xfc00) === 0xd800 ? SNIPPET_CHARS - 1 : SNIPPET_CHARS;
  return s.slice(0, cut).trimEnd();
}

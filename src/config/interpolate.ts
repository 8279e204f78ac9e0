// ${VAR} and ${VAR:-default} from an env object, applied to YAML scalars after parsing so that a
// value can never change the document's structure and every position stays that of the original.
//
// Before parsing, each reference is masked with a placeholder of the SAME length made of
// private-use characters (legal in plain scalars even inside { } and [ ], where "${" is not), so
// offsets in the masked text are offsets in the original file. After parsing, placeholders found in
// scalars are replaced by their values; comments are never interpolated.
import { parseDocument, visit, isScalar, Scalar, type Document } from "yaml";

export type Env = Readonly<Record<string, string | undefined>>;

interface Ref {
  readonly offset: number; // in the original text
  readonly source: string; // "${NAME:-x}" as written
  readonly name: string | null; // null = an escape: "$${" or "$${NAME...}", standing for `literal`
  readonly literal: string;
  readonly fallback: string | null;
}

export interface Masked {
  readonly text: string;
  readonly refs: readonly Ref[];
}

export interface InterpolationIssue {
  readonly offset: number;
  readonly message: string;
}

const START = "\uE000";
const PAD = "\uE001";
const DIGIT0 = 0xe100; // two index characters from U+E100..U+F0FF: 4096² references
const PLACEHOLDER = /\uE000([\uE100-\uF0FF])([\uE100-\uF0FF])\uE001*/g;
const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}\n]*))?\}/y;

export function maskReferences(text: string): Masked {
  const refs: Ref[] = [];
  let out = "";
  let last = 0;
  for (let i = text.indexOf("$"); i !== -1 && i < text.length; i = text.indexOf("$", i)) {
    let ref: Ref | null = null;
    const escaped = text.startsWith("$${", i);
    REF.lastIndex = escaped ? i + 1 : i;
    const m = text.startsWith("${", REF.lastIndex) ? REF.exec(text) : null;
    if (escaped) {
      // An escaped reference is masked whole, so "$${A}" also survives inside { }.
      const literal = m ? m[0] : "${";
      ref = { offset: i, source: "$" + literal, name: null, fallback: null, literal };
    } else if (m) ref = { offset: i, source: m[0], name: m[1]!, fallback: m[2] ?? null, literal: "" };
    if (!ref || refs.length >= 4096 * 4096) {
      i++;
      continue;
    }
    const n = refs.push(ref) - 1;
    const idx = String.fromCharCode(DIGIT0 + (n >> 12), DIGIT0 + (n & 0xfff));
    out += text.slice(last, i) + START + idx + PAD.repeat(ref.source.length - 3);
    last = i = i + ref.source.length;
  }
  return { text: out + text.slice(last), refs };
}

/** Replaces placeholders in every scalar (keys included) of a document parsed from masked text. */
export function interpolateDocument(doc: Document, masked: Masked, env: Env): InterpolationIssue[] {
  const issues: InterpolationIssue[] = [];
  visit(doc, {
    Scalar(_key, node) {
      const [start, end] = node.range ?? [0, 0];
      // A "${" left in the masked text is a malformed reference.
      const rel = masked.text.slice(start, end).indexOf("${");
      if (rel !== -1) {
        const bad = start + rel;
        const snippet = /^\$\{[^}\n]{0,40}\}?/.exec(masked.text.slice(bad))![0];
        issues.push({ offset: bad, message: `bad variable reference "${snippet}"; expected \${NAME} or \${NAME:-default} (write $\${ for a literal \${)` });
      }
      if (typeof node.value !== "string" || !node.value.includes(START)) return;
      let used = false;
      const value = node.value.replace(PLACEHOLDER, (whole, hi: string, lo: string) => {
        const ref = masked.refs[((hi.charCodeAt(0) - DIGIT0) << 12) | (lo.charCodeAt(0) - DIGIT0)];
        if (!ref) return whole;
        if (ref.name === null) return ref.literal;
        used = true;
        const v = env[ref.name];
        if (v !== undefined && (v !== "" || ref.fallback === null)) return v;
        if (ref.fallback !== null) {
          if (ref.fallback.includes("${")) issues.push({ offset: ref.offset, message: `nested references are not supported in "${ref.source}"` });
          return ref.fallback;
        }
        issues.push({ offset: ref.offset, message: `environment variable ${ref.name} is not set (in "${ref.source}"); set it or give a default: \${${ref.name}:-value}` });
        return "";
      });
      node.value = used && node.type === Scalar.PLAIN ? retype(value) : value;
    },
  });
  return issues;
}

// An unquoted `port: ${PORT}` should be the number it would have been if written literally.
// Only numbers and booleans are taken, so a value can never become a mapping or a list.
function retype(value: string): unknown {
  const doc = parseDocument(value, { logLevel: "silent" });
  const v: unknown = isScalar(doc.contents) && doc.errors.length === 0 ? doc.contents.value : value;
  return typeof v === "number" || typeof v === "boolean" ? v : value;
}

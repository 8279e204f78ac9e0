// Call paths like "/users/{param.id}/orders?since={param.since}": parsed once at config load
// into literal pieces and placeholders, so filling one in per request is string concatenation.

/** A placeholder's route param and where it stands: path values and query values encode differently. */
export interface Placeholder {
  readonly param: string;
  readonly inQuery: boolean;
}

export type Piece = string | Placeholder;

export interface ParsedTemplate {
  readonly pieces: readonly Piece[];
  /** Text that is not a {param.NAME} placeholder (kept literally in `pieces`), for checkAggregate. */
  readonly problems: readonly string[];
}

const PREFIX = "param.";

export function parseTemplate(path: string): ParsedTemplate {
  const pieces: Piece[] = [];
  const problems: string[] = [];
  let literal = "";
  let inQuery = false;
  let i = 0;
  while (i < path.length) {
    const open = path.indexOf("{", i);
    const stray = path.indexOf("}", i);
    if (stray !== -1 && (open === -1 || stray < open)) problems.push(`a "}" without its "{" at offset ${stray}`);
    if (open === -1) {
      literal += path.slice(i);
      break;
    }
    literal += path.slice(i, open);
    const close = path.indexOf("}", open + 1);
    const nested = path.indexOf("{", open + 1);
    if (close === -1 || (nested !== -1 && nested < close)) {
      problems.push(`a "{" without its "}" at offset ${open}`);
      literal += "{";
      i = open + 1;
      continue;
    }
    const inner = path.slice(open + 1, close);
    if (inner.startsWith(PREFIX) && inner.length > PREFIX.length) {
      if (literal.includes("?")) inQuery = true;
      if (literal !== "") pieces.push(literal);
      literal = "";
      pieces.push({ param: inner.slice(PREFIX.length), inQuery });
    } else {
      problems.push(`unknown placeholder {${inner}}; the only placeholder is {param.NAME}`);
      literal += path.slice(open, close + 1);
    }
    i = close + 1;
  }
  if (literal !== "") pieces.push(literal);
  return { pieces, problems };
}

/** A closure that fills the template; a param missing at run time fills in as "". */
export function compileTemplate(path: string): (params: Readonly<Record<string, string>>) => string {
  const { pieces } = parseTemplate(path);
  if (pieces.every((p) => typeof p === "string")) {
    const fixed = pieces.join("");
    return () => fixed;
  }
  return (params) => {
    let out = "";
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!;
      out += typeof p === "string" ? p : encodeValue(params[p.param] ?? "", p.inQuery);
    }
    return out;
  };
}

const ONLY_DOTS = /^\.+$/;

/**
 * encodeURIComponent leaves only unreserved characters, so a value cannot add a "/", "?", "&",
 * "=" or "#". In a path it also must not become a "." or ".." segment: dots-only values are
 * encoded too. Lone surrogates (which make encodeURIComponent throw) become U+FFFD.
 */
export function encodeValue(value: string, inQuery: boolean): string {
  const encoded = encodeURIComponent(value.isWellFormed() ? value : value.toWellFormed());
  return !inQuery && ONLY_DOTS.test(encoded) ? encoded.replaceAll(".", "%2E") : encoded;
}

// Header value templates ("user {header.x-user} via {route}"), parsed once at config load into
// literal and lookup parts, so a request only concatenates and a value without placeholders
// is a plain constant.

import { didYouMean } from "../../config/describe.ts";
import { isValidHeaderName } from "./header-names.ts";

/** What a template can read about the request it runs for. */
export interface RequestFacts {
  readonly clientIp: string;
  readonly route: string;
  readonly requestId: string;
  readonly method: string;
  readonly host: string;
  readonly path: string;
  param(name: string): string | null;
  /** The client's request header. */
  header(name: string): string | null;
}

const FACTS = ["clientIp", "route", "requestId", "method", "host", "path"] as const;
type FactName = (typeof FACTS)[number];

export type Placeholder =
  | { readonly kind: "fact"; readonly fact: FactName }
  | { readonly kind: "param"; readonly name: string }
  | { readonly kind: "header"; readonly name: string };

export type TemplatePart = string | Placeholder;

export type ParsedTemplate = { ok: true; parts: TemplatePart[] } | { ok: false; message: string };

const KNOWN = "{clientIp}, {route}, {requestId}, {method}, {host}, {path}, {param.NAME}, {header.NAME}";

/** "{{" and "}}" are literal braces; any other brace opens or closes a placeholder. */
export function parseTemplate(text: string): ParsedTemplate {
  const parts: TemplatePart[] = [];
  let literal = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "{" && text[i + 1] === "{") {
      literal += "{";
      i += 2;
    } else if (c === "}" && text[i + 1] === "}") {
      literal += "}";
      i += 2;
    } else if (c === "}") {
      return { ok: false, message: `unbalanced "}" at position ${i} (write "}}" for a literal brace)` };
    } else if (c === "{") {
      const close = text.indexOf("}", i + 1);
      const reopen = text.indexOf("{", i + 1);
      if (close === -1 || (reopen !== -1 && reopen < close)) {
        return { ok: false, message: `unbalanced "{" at position ${i} (write "{{" for a literal brace)` };
      }
      const placeholder = parsePlaceholder(text.slice(i + 1, close));
      if (!placeholder.ok) return placeholder;
      if (literal !== "") parts.push(literal);
      literal = "";
      parts.push(placeholder.value);
      i = close + 1;
    } else {
      literal += c;
      i++;
    }
  }
  if (literal !== "") parts.push(literal);
  return { ok: true, parts };
}

function parsePlaceholder(name: string): { ok: true; value: Placeholder } | { ok: false; message: string } {
  if ((FACTS as readonly string[]).includes(name)) return { ok: true, value: { kind: "fact", fact: name as FactName } };
  const dot = name.indexOf(".");
  const prefix = dot === -1 ? name : name.slice(0, dot);
  const rest = dot === -1 ? "" : name.slice(dot + 1);
  if (dot !== -1 && prefix === "param") {
    if (rest === "") return { ok: false, message: `"{param.}" needs a path parameter name, e.g. {param.id}` };
    return { ok: true, value: { kind: "param", name: rest } };
  }
  if (dot !== -1 && prefix === "header") {
    if (!isValidHeaderName(rest)) return { ok: false, message: `"{${name}}": "${rest}" is not a header name` };
    return { ok: true, value: { kind: "header", name: rest.toLowerCase() } };
  }
  // "{params.id}" and "{Header.x}" are typos of the prefixed forms; "{clientip}" of a fact.
  const prefixHint = dot !== -1 ? didYouMean(prefix, ["param", "header"]) : undefined;
  const hint = prefixHint !== undefined ? `${prefixHint}.${rest}` : didYouMean(name, FACTS);
  return {
    ok: false,
    message: `unknown placeholder "{${name}}"${hint !== undefined ? ` (did you mean "{${hint}}"?)` : ""}; known: ${KNOWN} (write "{{" for a literal brace)`,
  };
}

/** A compiled value: a constant, or a function of the request. */
export type TemplateValue = { readonly constant: string } | { readonly resolve: (facts: RequestFacts) => string };

export function compileTemplate(parts: readonly TemplatePart[]): TemplateValue {
  if (parts.every((p) => typeof p === "string")) return { constant: parts.join("") };
  const pieces = parts.map(pieceOf);
  if (pieces.length === 1) return { resolve: pieces[0]! };
  if (pieces.length === 2) {
    const [a, b] = pieces as [Piece, Piece];
    return { resolve: (f) => a(f) + b(f) };
  }
  return {
    resolve: (f) => {
      let out = "";
      for (let i = 0; i < pieces.length; i++) out += pieces[i]!(f);
      return out;
    },
  };
}

type Piece = (facts: RequestFacts) => string;

function pieceOf(part: TemplatePart): Piece {
  if (typeof part === "string") return () => part;
  switch (part.kind) {
    case "param": {
      const name = part.name;
      return (f) => f.param(name) ?? "";
    }
    case "header": {
      const name = part.name;
      return (f) => f.header(name) ?? "";
    }
    case "fact":
      switch (part.fact) {
        case "clientIp": return (f) => f.clientIp;
        case "route": return (f) => f.route;
        case "requestId": return (f) => f.requestId;
        case "method": return (f) => f.method;
        case "host": return (f) => f.host;
        case "path": return (f) => f.path;
      }
  }
}

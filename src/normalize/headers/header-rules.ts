// A route's header rules (remove → rename → set → add → canonical Content-Type), compiled at
// config load into one pass over the flat header list plus appends.

import { canonicalContentType } from "./canonical-content-type.ts";
import { isProtectedHeader, isUnsafeHeaderValue, isValidHeaderName, SERVER_HEADERS } from "./header-names.ts";
import { compileTemplate, parseTemplate, type RequestFacts, type TemplateValue } from "./value-template.ts";

export type { RequestFacts } from "./value-template.ts";
export { checkHeaderRules } from "./check-header-rules.ts";
export { canonicalContentType } from "./canonical-content-type.ts";
export { SERVER_HEADERS } from "./header-names.ts";

export interface HeaderRulesConfig {
  /** Replace all values of the header (or add it). */
  readonly set?: Readonly<Record<string, string>>;
  /** Append one more value. */
  readonly add?: Readonly<Record<string, string>>;
  /** Drop every value. */
  readonly remove?: readonly string[];
  /** Old name → new name, values kept in order. Applied at once: {a: b, b: c} moves a to b and b to c. */
  readonly rename?: Readonly<Record<string, string>>;
  /** Rewrite Content-Type canonically (see canonicalContentType). */
  readonly canonicalContentType?: boolean;
  /** Response only: drop the headers in SERVER_HEADERS. */
  readonly removeServerHeaders?: boolean;
}

export interface HeaderRules {
  /** Mutates `headers` (flat array) in place; returns how many values were dropped because a placeholder produced CR/LF/NUL. */
  apply(headers: string[], facts: RequestFacts): number;
  /** true when apply() needs facts beyond a constant (lets the caller skip building them). */
  readonly usesFacts: boolean;
}

interface Entry {
  readonly name: string;
  readonly value: TemplateValue;
  /** Canonicalise after resolving (a constant Content-Type is canonicalised here, once). */
  readonly canonical: boolean;
}

/**
 * Expects a config checkHeaderRules found no problem in; anything it would report (protected or
 * invalid names, malformed templates, constant values with CR/LF/NUL) is left out rather than
 * applied, so a compiled rule set can never emit a framing header or a broken value.
 */
export function compileHeaderRules(config: HeaderRulesConfig, direction: "request" | "response"): HeaderRules {
  const usable = (name: string) => isValidHeaderName(name) && !isProtectedHeader(name, direction);
  const canonical = config.canonicalContentType === true;

  const dropped = new Set<string>();
  for (const raw of config.remove ?? []) if (usable(raw.toLowerCase())) dropped.add(raw.toLowerCase());
  if (direction === "response" && config.removeServerHeaders === true) for (const name of SERVER_HEADERS) dropped.add(name);

  const renamed = new Map<string, string>();
  for (const [from, to] of Object.entries(config.rename ?? {})) {
    const f = from.toLowerCase();
    const t = to.toLowerCase();
    if (usable(f) && usable(t) && f !== t) renamed.set(f, t);
  }

  const entries = (map: Readonly<Record<string, string>> | undefined): Entry[] => {
    const out: Entry[] = [];
    for (const [rawName, text] of Object.entries(map ?? {})) {
      const name = rawName.toLowerCase();
      const parsed = parseTemplate(text);
      if (!usable(name) || !parsed.ok) continue;
      let value = compileTemplate(parsed.parts);
      const isContentType = canonical && name === "content-type";
      if ("constant" in value) {
        if (isUnsafeHeaderValue(value.constant)) continue;
        if (isContentType) value = { constant: canonicalContentType(value.constant) };
      }
      out.push({ name, value, canonical: isContentType && !("constant" in value) });
    }
    return out;
  };
  const sets = entries(config.set);
  const adds = entries(config.add);
  const setNames = new Set(sets.map((e) => e.name));

  // Empty rule kinds become null so the pass skips their lookups.
  const drop = dropped.size > 0 ? dropped : null;
  const rename = renamed.size > 0 ? renamed : null;
  const replaced = setNames.size > 0 ? setNames : null;
  const scan = drop !== null || rename !== null || replaced !== null || canonical;
  const appends = [...sets, ...adds];

  return {
    usesFacts: appends.some((e) => "resolve" in e.value),
    apply(headers: string[], facts: RequestFacts): number {
      if (scan) {
        let w = 0;
        for (let r = 0; r < headers.length; r += 2) {
          let name = headers[r]!;
          if (drop !== null && drop.has(name)) continue;
          if (rename !== null) name = rename.get(name) ?? name;
          if (replaced !== null && replaced.has(name)) continue;
          let value = headers[r + 1]!;
          if (canonical && name === "content-type") value = canonicalContentType(value);
          headers[w] = name;
          headers[w + 1] = value;
          w += 2;
        }
        headers.length = w;
      }
      let unsafe = 0;
      for (let i = 0; i < appends.length; i++) {
        const e = appends[i]!;
        if ("constant" in e.value) {
          headers.push(e.name, e.value.constant);
          continue;
        }
        const value = e.value.resolve(facts);
        if (isUnsafeHeaderValue(value)) {
          unsafe++;
          continue;
        }
        headers.push(e.name, e.canonical ? canonicalContentType(value) : value);
      }
      return unsafe;
    },
  };
}

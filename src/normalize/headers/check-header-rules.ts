// What the config schema cannot see in header rules: placeholders, brace balance, names Keel
// owns, rules that cancel each other, and path parameters the route does not have.

import type { HeaderRulesConfig } from "./header-rules.ts";
import { isProtectedHeader, isUnsafeHeaderValue, isValidHeaderName } from "./header-names.ts";
import { parseTemplate } from "./value-template.ts";

export interface HeaderRuleProblem {
  /** Key path inside the rules mapping, e.g. ["set", "X-User"] or ["remove", 2]. */
  at: (string | number)[];
  message: string;
}

export function checkHeaderRules(
  config: HeaderRulesConfig,
  direction: "request" | "response",
  paramNames: readonly string[],
): HeaderRuleProblem[] {
  const problems: HeaderRuleProblem[] = [];
  const nameProblem = (name: string): string | null => {
    if (!isValidHeaderName(name)) return `"${name}" is not a valid header name`;
    if (isProtectedHeader(name.toLowerCase(), direction)) {
      return `"${name.toLowerCase()}" frames the message or belongs to the connection; Keel manages it and rules cannot touch it`;
    }
    return null;
  };

  const removed = new Set<string>();
  (config.remove ?? []).forEach((name, i) => {
    const p = nameProblem(name);
    if (p !== null) problems.push({ at: ["remove", i], message: p });
    removed.add(name.toLowerCase());
  });

  const renameSeen = new Map<string, string>();
  for (const [from, to] of Object.entries(config.rename ?? {})) {
    const at = ["rename", from];
    const p = nameProblem(from) ?? nameProblem(to);
    if (p !== null) problems.push({ at, message: p });
    const f = from.toLowerCase();
    const t = to.toLowerCase();
    const twin = renameSeen.get(f);
    if (twin !== undefined) problems.push({ at, message: `"${twin}" and "${from}" name the same header (names are case-insensitive)` });
    renameSeen.set(f, from);
    if (f === t) problems.push({ at, message: `renames "${from}" to itself` });
    if (removed.has(f)) problems.push({ at, message: `"${f}" is also in remove, which runs first, so this rename never applies` });
    if (removed.has(t)) {
      problems.push({ at, message: `renames to "${t}", which is also in remove; remove runs before rename, so the renamed values would stay (drop one of the two)` });
    }
  }

  for (const kind of ["set", "add"] as const) {
    const seen = new Map<string, string>();
    for (const [name, value] of Object.entries(config[kind] ?? {})) {
      const at = [kind, name];
      const p = nameProblem(name);
      if (p !== null) problems.push({ at, message: p });
      const twin = seen.get(name.toLowerCase());
      if (kind === "set" && twin !== undefined) problems.push({ at, message: `"${twin}" and "${name}" name the same header (names are case-insensitive)` });
      seen.set(name.toLowerCase(), name);
      if (isUnsafeHeaderValue(value)) {
        problems.push({ at, message: "the value contains CR, LF or NUL, which cannot appear in a header" });
        continue;
      }
      const parsed = parseTemplate(value);
      if (!parsed.ok) {
        problems.push({ at, message: parsed.message });
        continue;
      }
      for (const part of parsed.parts) {
        if (typeof part === "string" || part.kind !== "param" || paramNames.includes(part.name)) continue;
        const have = paramNames.length > 0 ? paramNames.map((n) => ":" + n).join(", ") : "(none)";
        problems.push({ at, message: `"{param.${part.name}}": the route's path has no :${part.name} segment; its path params: ${have}` });
      }
    }
  }

  if (direction === "request" && config.removeServerHeaders === true) {
    problems.push({ at: ["removeServerHeaders"], message: "applies to responses only (normalize.response.headers)" });
  }
  return problems;
}

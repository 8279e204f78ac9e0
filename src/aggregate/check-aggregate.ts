// Problems in an aggregate block that the JSON schema cannot see, with where they are, so the
// config loader can point at the line.
import { parseTemplate } from "./path-template.ts";
import type { AggregateConfig } from "./types.ts";

export interface AggregateProblem {
  at: (string | number)[];
  message: string;
}

/**
 * Unknown placeholders, {param.x} with no :x in the route path (`paramNames`), a path not
 * starting with "/", and the call name "errors" under merge keys (it is where a partial answer
 * lists its failures). `at` is a key path inside the aggregate mapping.
 */
export function checkAggregate(config: AggregateConfig, paramNames: readonly string[]): AggregateProblem[] {
  const problems: AggregateProblem[] = [];
  for (const name of Object.keys(config.calls)) {
    const path = config.calls[name]!.path;
    const at = ["calls", name, "path"];
    if (config.merge === "keys" && name === "errors") {
      problems.push({ at: ["calls", name], message: 'the call name "errors" is reserved under merge: keys (a partial answer lists failed calls there)' });
    }
    if (!path.startsWith("/")) problems.push({ at, message: `the path must start with "/", got ${JSON.stringify(path)}` });
    const parsed = parseTemplate(path);
    for (const message of parsed.problems) problems.push({ at, message });
    for (const piece of parsed.pieces) {
      if (typeof piece === "string" || paramNames.includes(piece.param)) continue;
      const known = paramNames.length === 0 ? "the route path has no :params" : `the route path has ${paramNames.map((p) => ":" + p).join(", ")}`;
      problems.push({ at, message: `{param.${piece.param}} names no route parameter; ${known}` });
    }
  }
  return problems;
}

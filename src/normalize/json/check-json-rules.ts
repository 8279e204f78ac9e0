// Load-time checks of JSON body rules that a JSON Schema cannot express (the list is in the
// CONFIG CHECKS part of compile-json-rules.ts). Each problem says where: the key path inside the
// rules mapping, e.g. ["rename", "items[].created_at"] or ["omit", 2].

import { isJsonValue } from "./json-default.ts";
import { EACH, formatPath, isPathPrefix, parsePath, type PathStep } from "./json-path.ts";
import { toCamelCase, toSnakeCase } from "./key-case.ts";
import { entriesOf, itemsOf } from "./rules-input.ts";
import type { JsonRuleProblem as Problem, JsonRulesConfig } from "./types.ts";

type At = (string | number)[];

const COERCE_KINDS = ["number", "integer", "string", "boolean"];
const DATE_FORMATS = ["rfc3339", "epoch-ms", "epoch-s"];
const KEY_CASES = ["camelCase", "snake_case"];

/** A rule's path, where it was written, and its steps. */
interface Placed {
  readonly at: At;
  readonly text: string;
  readonly steps: readonly PathStep[];
}

export function checkJsonRules(config: JsonRulesConfig): { at: (string | number)[]; message: string }[] {
  const problems: Problem[] = [];
  const read = (at: At, path: unknown, mustNameField: boolean): Placed | null => {
    if (typeof path !== "string") {
      problems.push({ at, message: "a path must be a string" });
      return null;
    }
    const parsed = parsePath(path);
    if (!parsed.ok) {
      problems.push({ at, message: parsed.message });
      return null;
    }
    if (mustNameField && parsed.steps[parsed.steps.length - 1] === EACH) {
      problems.push({ at, message: `"${path}" ends with "[]" but must name a field: drop the last "[]"` });
      return null;
    }
    return { at, text: path, steps: parsed.steps };
  };

  if (config.keys !== undefined && !KEY_CASES.includes(config.keys)) problems.push({ at: ["keys"], message: `keys must be one of ${KEY_CASES.join(", ")}` });

  const omits: Placed[] = [];
  itemsOf(config.omit).forEach((path, i) => {
    const placed = read(["omit", i], path, true);
    if (placed !== null) omits.push(placed);
  });

  // lowercase, coerce and dates: one conversion per field.
  const converted = new Map<string, string>();
  const conversion = (section: string, at: At, path: unknown): void => {
    const placed = read(at, path, false);
    if (placed === null) return;
    const canonical = formatPath(placed.steps);
    const earlier = converted.get(canonical);
    if (earlier !== undefined && earlier !== section) {
      problems.push({ at, message: `"${placed.text}" is also in ${earlier}: a field takes one of lowercase, coerce and dates` });
    } else converted.set(canonical, section);
    checkNotOmitted(placed, omits, problems);
  };
  itemsOf(config.lowercase).forEach((path, i) => conversion("lowercase", ["lowercase", i], path));
  for (const [path, kind] of entriesOf(config.coerce)) {
    if (!COERCE_KINDS.includes(kind as string)) problems.push({ at: ["coerce", path], message: `coerce kind must be one of ${COERCE_KINDS.join(", ")}` });
    conversion("coerce", ["coerce", path], path);
  }
  for (const [path, format] of entriesOf(config.dates)) {
    if (!DATE_FORMATS.includes(format as string)) problems.push({ at: ["dates", path], message: `date format must be one of ${DATE_FORMATS.join(", ")}` });
    conversion("dates", ["dates", path], path);
  }

  // rename: only the last name changes, and no two fields of one object get the same name.
  const renamed = new Map<string, string>(); // canonical source path → new name
  const taken = new Map<string, string>(); // parent path + new name → source path
  for (const [path, to] of entriesOf(config.rename)) {
    const placed = read(["rename", path], path, true);
    if (placed === null) continue;
    const target = renameTargetProblem(placed, to);
    if (typeof target !== "string") {
      problems.push({ at: placed.at, message: target.message });
      continue;
    }
    checkNotOmitted(placed, omits, problems);
    const parent = formatPath(placed.steps.slice(0, -1));
    const slot = `${parent}\u0000${target}`;
    const other = taken.get(slot);
    if (other !== undefined) problems.push({ at: placed.at, message: `"${path}" and "${other}" are both renamed to "${target}"` });
    else taken.set(slot, path);
    renamed.set(formatPath(placed.steps), target);
  }

  // defaults: JSON values, not inside a field that omit removes (they could never apply).
  const omittedOutputs = omits.map((o) => ({ text: o.text, steps: outputSteps(o.steps, renamed, config.keys) }));
  for (const [path, value] of entriesOf(config.defaults)) {
    const placed = read(["defaults", path], path, true);
    if (placed === null) continue;
    if (!isJsonValue(value, 0, [])) problems.push({ at: placed.at, message: "a default must be a JSON value (string, finite number, boolean, null, list or mapping of those, at most 64 deep)" });
    for (const omitted of omittedOutputs) {
      if (omitted.steps.length < placed.steps.length && isPathPrefix(omitted.steps, placed.steps)) {
        problems.push({ at: placed.at, message: `"${path}" is inside "${omitted.text}", which omit removes, so this default never applies` });
        break;
      }
    }
  }
  return problems;
}

/** A rule naming an omitted field (or one inside it) never acts. */
function checkNotOmitted(placed: Placed, omits: readonly Placed[], problems: Problem[]): void {
  for (const omitted of omits) {
    if (isPathPrefix(omitted.steps, placed.steps)) {
      const where = omitted.steps.length === placed.steps.length ? "is removed by omit" : `is inside "${omitted.text}", which omit removes`;
      problems.push({ at: placed.at, message: `"${placed.text}" ${where}, so this rule never applies` });
      return;
    }
  }
}

/** The new last name, or why the target is not one. */
function renameTargetProblem(source: Placed, to: unknown): string | { message: string } {
  if (typeof to !== "string") return { message: "a rename target must be a string" };
  const parsed = parsePath(to);
  if (!parsed.ok) return { message: parsed.message };
  const steps = parsed.steps;
  const name = steps[steps.length - 1];
  if (name === EACH) return { message: `rename target "${to}" ends with "[]" but must name a field` };
  if (steps.length === 1) return name;
  const eachAt = (s: readonly PathStep[]) => s.map((step) => (step === EACH ? "[]" : ".")).join("");
  if (steps.length !== source.steps.length || eachAt(steps) !== eachAt(source.steps)) {
    return { message: `rename target "${to}" has a different [] structure from "${source.text}"; write just the new name` };
  }
  if (!isPathPrefix(steps.slice(0, -1), source.steps)) {
    return { message: `rename only changes the last name (fields do not move): write "${name}" or "${formatPath([...source.steps.slice(0, -1), name])}"` };
  }
  return name;
}

/** Where a field the sender names ends up after rename and keys (what defaults are named by). */
function outputSteps(steps: readonly PathStep[], renamed: ReadonlyMap<string, string>, keys: string | undefined): PathStep[] {
  const out: PathStep[] = [];
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    if (step === EACH) {
      out.push(EACH);
      continue;
    }
    const target = renamed.get(formatPath(steps.slice(0, i + 1)));
    out.push(target ?? (keys === "camelCase" ? toCamelCase(step) : keys === "snake_case" ? toSnakeCase(step) : step));
  }
  return out;
}

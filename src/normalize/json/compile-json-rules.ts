// JSON body rules: what a route's JSON rules may say, compiled once at config load into one
// transform that the request path calls per body. This block is the reference (docs/normalize.md).
//
// PATHS
//   Keys separated by dots; "[]" after a key = every element of that array; a leading "[]" walks
//   a top-level array.
//     "user.email"          body.user.email
//     "items[].created_at"  created_at of every element of body.items
//     "[].id"               id of every element of a top-level array
//     "tags[]"              every element of body.tags (lowercase, coerce and dates only)
//     "matrix[][]"          every element of every array in body.matrix
//   rename, omit and defaults name fields, so their paths end with a key. Keys holding ".", "["
//   or "]" cannot be named. A path whose parent is missing or of another type does nothing:
//     omit: [user.password] on {"user": null} → {"user": null}
//
// ORDER (fixed, whatever the order in the config; within one step, in the order written)
//   1 omit  2 lowercase  3 coerce  4 dates   paths use the names the SENDER wrote
//   5 rename  6 keys                         these produce the output names
//   7 defaults                               paths use the OUTPUT names
//     omit: [password_hash], keys: camelCase, defaults: {isAdmin: false}
//     {"password_hash": "x", "is_admin": true} → {"isAdmin": true}
//   The first conversion that fails stops the body with an error (see ERRORS).
//
// omit: [path] — the field is removed.
//     omit: [password_hash]   {"password_hash": "x", "a": 1} → {"a": 1}
// lowercase: [path] — string values are lower-cased (Unicode, no locale); other values stay.
//     lowercase: [email]   {"email": "Ann@X.org"} → {"email": "ann@x.org"};  {"email": 7} stays
// coerce: {path: kind} — null stays null for every kind; a value not listed → error.
//     number:  "42" → 42, "4.5" → 4.5, "-1e3" → -1000, 42 stays; decimal text only ("", " 1",
//              "0x10", "Infinity" fail); booleans fail
//     integer: "42" → 42, "4.0" → 4, 42 stays; 4.5, "4.5" and beyond ±(2^53 − 1) fail
//     boolean: "true", "1", 1 → true;  "false", "0", 0 → false; true/false stay; "yes", "TRUE" fail
//     string:  42 → "42", 1e21 → "1e+21", true → "true", strings stay; objects and arrays fail
// dates: {path: format} — null stays null. Read:
//     RFC 3339 / ISO 8601 text  "2024-05-01T12:30:00+02:00", "2024-05-01T10:30:00.5Z",
//                               "2024-05-01" (midnight UTC), "2024-05-01 10:30" (no offset = UTC)
//     RFC 2822 / HTTP-date text "Wed, 01 May 2024 10:30:00 GMT", "1 May 2024 12:30 +0200", and the
//                               obsolete "Wednesday, 01-May-24 10:30:00 GMT", "Wed May  1 10:30:00 2024"
//     a number                  epoch milliseconds when |n| ≥ 1e11, else epoch seconds
//                               (1714559400 and 1714559400000 are the same instant)
//   Written:
//     rfc3339   "2024-05-01T10:30:00.000Z" (toISOString form: UTC, milliseconds)
//     epoch-ms  1714559400000 (integer; sub-millisecond parts floored)
//     epoch-s   1714559400 (integer, floored)
//   Anything else fails: other text, booleans, objects, 31 April, 24:00, years outside 0000–9999.
//   A weekday name in RFC 2822 text is not checked against the date; a second of 60 rolls over.
// rename: {path: name} — the field takes a new last name and keeps its place among its siblings.
//   Write the new name alone, or the source path with only its last name changed:
//     rename: {user_name: userName}              {"user_name": "a"} → {"userName": "a"}
//     rename: {"items[].created_at": "items[].createdAt"}   (same as "items[].created_at": createdAt)
//   The renamed field replaces one that already has the new name:
//     rename: {name: title}   {"title": "old", "name": "new"} → {"title": "new"}
//   A rename is final: `keys` does not re-case it, so rename: {ID: ID} keeps "ID" under any keys.
// keys: camelCase | snake_case — every key of every object is converted (except renamed fields).
//     camelCase   "created_at" → "createdAt", "user-name" → "userName". Nothing is lower-cased:
//                 "ID" and "userId" stay, "USER_ID" → "USERID". Leading and trailing "_"/"-" stay:
//                 "_id", "__v", "__proto__", "x_" are unchanged.
//     snake_case  "createdAt" → "created_at", "userID" → "user_id", "XMLHttpRequest" →
//                 "xml_http_request", "user-name" → "user_name", "ID" → "id"; leading and
//                 trailing "_"/"-" stay as written.
//   Two keys of one object that convert to one name: the later one's value wins.
// defaults: {output path: value} — set where the parent object exists and lacks the field (null
//   counts as present). The value goes in as written (`keys` does not re-case it), and every
//   body gets its own copy of it. Shallower paths fill first:
//     defaults: {tags: []}   {"a": 1} → {"a": 1, "tags": []};  {"tags": null} stays
//     defaults: {"meta.v": 1, meta: {}}   {} → {"meta": {"v": 1}}
//   omit and a default on the same field replace its value: omit: [token], defaults: {token: "***"}.
//
// ERRORS
//   {pointer, message}; pointer is an RFC 6901 JSON Pointer into the body as RECEIVED:
//     coerce: {"items[].score": number} on {"items": [{}, {"score": "x"}]} → "/items/1/score"
//   The body was changed in place up to the failure: discard it.
//
// CONFIG CHECKS (checkJsonRules at load; compileJsonRules skips any rule it cannot read)
//   bad paths ("a..b", "items[", "a.[]", "a[]b"); rename, omit or a default ending in "[]";
//   a rename target that changes more than the last name or the [] structure; two renames to
//   one name in one object; a field with more than one of lowercase, coerce and dates; a rule
//   on a field that omit removes (or inside it); a default inside an omitted field; a default
//   that is not a JSON value; an unknown coerce kind, date format or keys value.

import { coercion } from "./coerce-value.ts";
import { lowercaseString, type Conversion } from "./conversion.ts";
import { dateConversion } from "./date-value.ts";
import { defaultMaker } from "./json-default.ts";
import { EACH, parsePath, type PathStep } from "./json-path.ts";
import { compileOutputNames, type RenameRule } from "./output-names.ts";
import { applyConversion, fillDefault, omitField, type ConversionRule } from "./path-walk.ts";
import { entriesOf, itemsOf } from "./rules-input.ts";
import type { CoerceKind, DateFormat, JsonRulesConfig, JsonTransform, JsonTransformResult, KeyCase } from "./types.ts";

const COERCE_KINDS: ReadonlySet<unknown> = new Set<CoerceKind>(["number", "integer", "string", "boolean"]);
const DATE_FORMATS: ReadonlySet<unknown> = new Set<DateFormat>(["rfc3339", "epoch-ms", "epoch-s"]);

export interface DefaultRule {
  readonly steps: readonly PathStep[];
  readonly make: () => unknown;
}

/** The rules of a config read once into paths and functions (both compilers start here). */
export interface ReadRules {
  readonly omits: readonly (readonly PathStep[])[];
  /** In the order they apply: lowercase, then coerce, then dates. */
  readonly conversions: readonly ConversionRule[];
  readonly renames: readonly RenameRule[];
  readonly keys: KeyCase | null;
  /** Shallower first (stable). */
  readonly defaults: readonly DefaultRule[];
}

/** Reads the rules it can use, skipping any it cannot read (checkJsonRules reports those). */
export function readJsonRules(config: JsonRulesConfig): ReadRules {
  const omits = itemsOf(config.omit).map(fieldPath).filter((s) => s !== null);
  const conversions: ConversionRule[] = [];
  for (const path of itemsOf(config.lowercase)) addConversion(conversions, path, lowercaseString);
  for (const [path, kind] of entriesOf(config.coerce)) if (COERCE_KINDS.has(kind)) addConversion(conversions, path, coercion(kind as CoerceKind));
  for (const [path, format] of entriesOf(config.dates)) if (DATE_FORMATS.has(format)) addConversion(conversions, path, dateConversion(format as DateFormat));
  const keys = config.keys === "camelCase" || config.keys === "snake_case" ? config.keys : null;
  return { omits, conversions, renames: renameRules(config.rename), keys, defaults: defaultRules(config.defaults) };
}

export function compileJsonRules(config: JsonRulesConfig): JsonTransform {
  const { omits, conversions, renames, keys, defaults } = readJsonRules(config);
  const outputNames = compileOutputNames(renames, keys ?? undefined);

  return (body: unknown): JsonTransformResult => {
    let value = body;
    for (let i = 0; i < omits.length; i++) omitField(value, omits[i]!, 0);
    for (let i = 0; i < conversions.length; i++) {
      const error = applyConversion(value, conversions[i]!);
      if (error !== null) return { ok: false, error };
    }
    if (outputNames !== null) value = outputNames(value);
    for (let i = 0; i < defaults.length; i++) fillDefault(value, defaults[i]!.steps, 0, defaults[i]!.make);
    return { ok: true, value };
  };
}

function addConversion(into: ConversionRule[], path: unknown, convert: Conversion): void {
  if (typeof path !== "string") return;
  const parsed = parsePath(path);
  if (parsed.ok) into.push({ steps: parsed.steps, indices: new Array<number>(parsed.steps.length).fill(0), convert });
}

/** Steps of a path that names a field (ends with a key), or null. */
function fieldPath(path: unknown): readonly PathStep[] | null {
  if (typeof path !== "string") return null;
  const parsed = parsePath(path);
  return parsed.ok && parsed.steps[parsed.steps.length - 1] !== EACH ? parsed.steps : null;
}

/** The new last name a rename target gives `source`, or null when the target is not one. */
function renameTarget(source: readonly PathStep[], target: unknown): string | null {
  const steps = fieldPath(target);
  if (steps === null) return null;
  if (steps.length === 1) return steps[0] as string;
  if (steps.length !== source.length) return null;
  for (let i = 0; i < steps.length - 1; i++) if (steps[i] !== source[i]) return null;
  return steps[steps.length - 1] as string;
}

function renameRules(rename: unknown): RenameRule[] {
  const rules: RenameRule[] = [];
  for (const [path, to] of entriesOf(rename)) {
    const steps = fieldPath(path);
    const target = steps === null ? null : renameTarget(steps, to);
    if (steps !== null && target !== null) rules.push({ steps, target });
  }
  return rules;
}

/** Shallower first (stable), so a default can fill inside an object another default just set. */
function defaultRules(defaults: unknown): DefaultRule[] {
  const rules: DefaultRule[] = [];
  for (const [path, value] of entriesOf(defaults)) {
    const steps = fieldPath(path);
    const make = steps === null ? null : defaultMaker(value);
    if (steps !== null && make !== null) rules.push({ steps, make });
  }
  return rules.sort((a, b) => a.steps.length - b.steps.length);
}

// The rules API in one import for the config loader (schema wiring and plans).
export { checkJsonRules } from "./check-json-rules.ts";
export type { JsonLimits, JsonRuleError, JsonRuleProblem, JsonRulesConfig, JsonTransform, JsonTransformResult } from "./types.ts";

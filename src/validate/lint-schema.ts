// What a meta-schema lets through but would quietly weaken a route's check: misspelt keywords
// ("requried" is just an unknown annotation to JSON Schema), formats Keel cannot check, invalid
// patterns; and schemas too deep or too large to compile safely at config load.

import { didYouMean } from "../config/describe.ts";
import { FORMAT_NAMES } from "./schema-formats.ts";

export interface SchemaProblem {
  /** Key path inside the schema, e.g. ["properties", "age", "format"]. */
  at: (string | number)[];
  message: string;
}

/** Nesting and size far past any hand-written schema; beyond them ajv's code generation gets slow or recursive. */
export const MAX_SCHEMA_DEPTH = 64;
export const MAX_SCHEMA_NODES = 10_000;

/** Keywords whose value is one schema. */
const SCHEMA_VALUED = new Set([
  "not", "if", "then", "else", "items", "additionalItems", "contains", "additionalProperties",
  "propertyNames", "unevaluatedItems", "unevaluatedProperties", "contentSchema",
]);
/** Keywords whose value is a list of schemas ("items" may be either). */
const SCHEMA_LISTS = new Set(["allOf", "anyOf", "oneOf", "prefixItems", "items"]);
/** Keywords whose value maps names to schemas (the names are data, not keywords). */
const SCHEMA_MAPS = new Set(["properties", "patternProperties", "definitions", "$defs", "dependentSchemas", "dependencies"]);

/** Every keyword of draft-07, 2019-09 and 2020-12, plus the annotations ajv and OpenAPI use. */
const KNOWN = [
  ...SCHEMA_VALUED, ...SCHEMA_LISTS, ...SCHEMA_MAPS,
  "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
  "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "maxContains", "minContains",
  "maxProperties", "minProperties", "required", "dependentRequired", "format", "contentEncoding", "contentMediaType",
  "$id", "$schema", "$ref", "$comment", "$anchor", "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "$recursiveAnchor", "$vocabulary",
  "title", "description", "default", "examples", "readOnly", "writeOnly", "deprecated",
  "nullable", "discriminator", "example", "xml", "externalDocs",
];
const KNOWN_SET = new Set(KNOWN);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function lintSchema(schema: unknown): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  let nodes = 0;
  let stopped = false;

  const visit = (node: unknown, at: (string | number)[], depth: number): void => {
    if (stopped || !isObject(node)) return; // booleans are schemas too; other values are the meta-schema's to report
    if (depth > MAX_SCHEMA_DEPTH) {
      problems.push({ at, message: `the schema nests deeper than ${MAX_SCHEMA_DEPTH} levels` });
      stopped = true;
      return;
    }
    if (++nodes > MAX_SCHEMA_NODES) {
      problems.push({ at: [], message: `the schema has more than ${MAX_SCHEMA_NODES} subschemas` });
      stopped = true;
      return;
    }
    for (const [key, value] of Object.entries(node)) {
      const here = [...at, key];
      if (SCHEMA_MAPS.has(key) && isObject(value)) {
        for (const [name, sub] of Object.entries(value)) {
          if (key === "patternProperties") checkPattern(name, here, problems);
          visit(sub, [...here, name], depth + 1);
        }
      } else if (SCHEMA_LISTS.has(key) && Array.isArray(value)) {
        value.forEach((sub, i) => visit(sub, [...here, i], depth + 1));
      } else if (SCHEMA_VALUED.has(key)) {
        visit(value, here, depth + 1);
      } else if (key === "format" && typeof value === "string" && !FORMAT_NAMES.includes(value)) {
        const hint = didYouMean(value, FORMAT_NAMES);
        problems.push({
          at: here,
          message: `unknown format "${value}"${hint !== undefined ? ` (did you mean "${hint}"?)` : ""}; Keel checks: ${FORMAT_NAMES.join(", ")} (use pattern for others)`,
        });
      } else if (key === "pattern" && typeof value === "string") {
        checkPattern(value, here, problems);
      } else if (!KNOWN_SET.has(key) && !key.startsWith("x-")) {
        // Unknown keys are annotations to JSON Schema; one a letter or two from a keyword is a typo that disables a check.
        const hint = didYouMean(key, KNOWN);
        if (hint !== undefined) problems.push({ at: here, message: `unknown keyword "${key}" (did you mean "${hint}"?)` });
      }
    }
  };
  visit(schema, [], 0);
  return problems;
}

/** ajv compiles patterns with the "u" flag. */
function checkPattern(pattern: string, at: (string | number)[], problems: SchemaProblem[]): void {
  try {
    new RegExp(pattern, "u");
  } catch (e) {
    problems.push({ at, message: `"${pattern}" is not a valid regular expression: ${(e as Error).message}` });
  }
}

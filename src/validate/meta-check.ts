// A schema checked against its dialect's meta-schema, with ajv's several errors per mistake
// folded into one message at the key that is wrong.

import type { ErrorObject } from "ajv";
import { didYouMean } from "../config/describe.ts";
import type { SchemaProblem } from "./lint-schema.ts";
import { metaChecker, type Draft } from "./schema-drafts.ts";

const TYPES = ["string", "number", "integer", "boolean", "object", "array", "null"];

export function metaCheck(schema: unknown, draft: Draft): SchemaProblem[] {
  let valid: boolean;
  const ajv = metaChecker(draft);
  try {
    valid = ajv.validateSchema(schema as object) as boolean;
  } catch (e) {
    return [{ at: [], message: `the schema cannot be checked: ${(e as Error).message}` }];
  }
  if (valid) return [];

  // One message per key: a bad `type` alone yields an enum, a type and an anyOf error.
  const byPath = new Map<string, ErrorObject[]>();
  for (const e of ajv.errors ?? []) {
    const group = byPath.get(e.instancePath);
    if (group === undefined) byPath.set(e.instancePath, [e]);
    else group.push(e);
  }
  const problems: SchemaProblem[] = [];
  const pointers = [...byPath.keys()];
  for (const [pointer, errors] of byPath) {
    // A deeper error says more: `type: [string, nul]` is reported at the "nul", not at the list.
    if (pointers.some((other) => other.startsWith(pointer + "/"))) continue;
    const at = pathOf(pointer, schema);
    problems.push({ at, message: messageFor(at, errors, valueAt(schema, at)) });
  }
  return problems;
}

function messageFor(at: readonly (string | number)[], errors: ErrorObject[], value: unknown): string {
  if (at.length === 0) return "a schema must be a mapping (or true / false)";
  const last = at[at.length - 1];
  const isTypeValue = last === "type" || (typeof last === "number" && at[at.length - 2] === "type");
  if (isTypeValue && errors.some((e) => e.keyword === "enum" || e.keyword === "anyOf")) {
    const bad = (Array.isArray(value) ? value : [value]).find((v) => typeof v !== "string" || !TYPES.includes(v));
    const hint = typeof bad === "string" ? didYouMean(bad, TYPES) : undefined;
    return `${JSON.stringify(bad) ?? String(bad)} is not a JSON Schema type; expected one of: ${TYPES.join(", ")}${hint !== undefined ? ` (did you mean "${hint}"?)` : ""}`;
  }
  // Prefer the error that names the expected shape over the anyOf/oneOf wrapper around it.
  const e = errors.find((x) => x.keyword !== "anyOf" && x.keyword !== "oneOf") ?? errors[0]!;
  if (e.keyword === "type") return `must be ${String(e.params.type).replace(/,/g, " or ")}`;
  if (e.keyword === "enum") return `must be one of: ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
  return (e.message ?? "is invalid").replace(/\bNOT\b/g, "not");
}

/** "/properties/age/type" → ["properties", "age", "type"]; indexes into lists as numbers. */
function pathOf(pointer: string, schema: unknown): (string | number)[] {
  const at: (string | number)[] = [];
  let node: unknown = schema;
  if (pointer === "") return at;
  for (const raw of pointer.split("/").slice(1)) {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    const key = Array.isArray(node) && /^\d+$/.test(seg) ? Number(seg) : seg;
    at.push(key);
    node = typeof node === "object" && node !== null ? (node as Record<string | number, unknown>)[key] : undefined;
  }
  return at;
}

function valueAt(schema: unknown, at: readonly (string | number)[]): unknown {
  let node: unknown = schema;
  for (const key of at) node = typeof node === "object" && node !== null ? (node as Record<string | number, unknown>)[key] : undefined;
  return node;
}

// A route's JSON Schemas for its body, query and path parameters, compiled once at config load;
// a request runs the generated functions and gets back pointers and readable messages.

import type { ValidateFunction } from "ajv";
import { toValidationError, type ValidationError } from "./error-messages.ts";
import { lintSchema } from "./lint-schema.ts";
import { metaCheck } from "./meta-check.ts";
import { draftOf, newCompiler, SUPPORTED_DIALECTS } from "./schema-drafts.ts";

export { formatValidationError, type ValidationError } from "./error-messages.ts";

export interface ValidationConfig {
  readonly body?: object;
  readonly query?: object;
  readonly params?: object;
}

export interface RouteValidator {
  readonly validatesBody: boolean;
  /** null = valid. query/params values are strings (query: repeated names → arrays); they are coerced to the schema's types for the check (ajv coerceTypes) without changing what is forwarded. */
  check(parts: { body?: unknown; query?: Record<string, string | string[]>; params?: Readonly<Record<string, string>> }): ValidationError[] | null;
}

export interface ValidationConfigError {
  at: (string | number)[];
  message: string;
}

/** Errors reported per request; past it, one last entry says how many more there were. */
export const MAX_REPORTED_ERRORS = 20;

type Section = ValidationError["in"];
const SECTIONS: readonly Section[] = ["body", "query", "params"];

/** Schema compile errors come back as messages with `at` = the key path inside the route's validate mapping (e.g. ["body", "properties", "age", "type"] when you can tell, else ["body"]). */
export function compileRouteValidator(
  config: ValidationConfig,
): { ok: true; validator: RouteValidator } | { ok: false; errors: ValidationConfigError[] } {
  const errors: ValidationConfigError[] = [];
  const compiled: Partial<Record<Section, ValidateFunction>> = {};
  for (const section of SECTIONS) {
    const schema = config[section];
    if (schema === undefined) continue;
    const result = compileSection(schema, section !== "body");
    if (result.ok) compiled[section] = result.validate;
    else for (const p of result.problems) errors.push({ at: [section, ...p.at], message: p.message });
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, validator: routeValidator(compiled) };
}

function compileSection(
  schema: unknown,
  coerce: boolean,
): { ok: true; validate: ValidateFunction } | { ok: false; problems: { at: (string | number)[]; message: string }[] } {
  const draft = draftOf(schema);
  if (draft === null) {
    return { ok: false, problems: [{ at: ["$schema"], message: `unsupported $schema; Keel knows: ${SUPPORTED_DIALECTS.join(", ")} (without $schema: draft-07)` }] };
  }
  // Lint first: it bounds depth and size before ajv walks the schema.
  const lint = lintSchema(schema);
  if (lint.length > 0) return { ok: false, problems: lint };
  const meta = metaCheck(schema, draft);
  if (meta.length > 0) return { ok: false, problems: meta };
  try {
    return { ok: true, validate: newCompiler(draft, coerce).compile(schema as object) };
  } catch (e) {
    // Left for ajv: references that do not resolve (remote ones are never fetched), and the rare rest.
    return { ok: false, problems: [{ at: [], message: `the schema does not compile: ${(e as Error).message}` }] };
  }
}

function routeValidator(compiled: Partial<Record<Section, ValidateFunction>>): RouteValidator {
  const body = compiled.body ?? null;
  const query = compiled.query ?? null;
  const params = compiled.params ?? null;

  return {
    validatesBody: body !== null,
    check(parts) {
      const found: ValidationError[] = [];
      let more = 0;
      let firstHidden: Section = "body";
      const run = (where: Section, validate: ValidateFunction, data: unknown) => {
        if (validate(data)) return;
        for (const e of validate.errors ?? []) {
          const error = toValidationError(where, e);
          if (error === null) continue;
          if (found.length < MAX_REPORTED_ERRORS) found.push(error);
          else if (more++ === 0) firstHidden = where;
        }
      };
      if (body !== null) {
        if (parts.body === undefined) found.push({ in: "body", pointer: "", message: "is required (the request has no body)" });
        else run("body", body, parts.body);
      }
      if (query !== null) run("query", query, copyForCoercion(parts.query));
      if (params !== null) run("params", params, copyForCoercion(parts.params));
      if (found.length === 0) return null;
      if (more > 0) found.push({ in: firstHidden, pointer: "", message: `and ${more} more error${more === 1 ? "" : "s"} (only the first ${MAX_REPORTED_ERRORS} are listed)` });
      return found;
    },
  };
}

/**
 * Coercion writes the converted values into the data it checks: a copy keeps the forwarded values
 * as they came. No prototype, so a "__proto__" or "constructor" parameter is just a name.
 */
function copyForCoercion(values: Readonly<Record<string, string | string[]>> | undefined): Record<string, unknown> {
  const copy: Record<string, unknown> = Object.create(null);
  if (values === undefined) return copy;
  for (const key of Object.keys(values)) {
    const v = values[key]!;
    copy[key] = Array.isArray(v) ? v.slice() : v;
  }
  return copy;
}

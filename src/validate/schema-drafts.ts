// Which JSON Schema dialect a schema is written in ($schema), and ajv instances for it. A route's
// schema picks its dialect; without $schema it is draft-07, ajv's default.

import { Ajv, type Options } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import { FORMATS } from "./schema-formats.ts";

export type Draft = "draft-07" | "2019-09" | "2020-12";

const DIALECTS: Readonly<Record<string, Draft>> = {
  "http://json-schema.org/draft-07/schema": "draft-07",
  "https://json-schema.org/draft-07/schema": "draft-07",
  "https://json-schema.org/draft/2019-09/schema": "2019-09",
  "https://json-schema.org/draft/2020-12/schema": "2020-12",
};

export const SUPPORTED_DIALECTS = Object.keys(DIALECTS);

/** null = a $schema Keel does not support. */
export function draftOf(schema: unknown): Draft | null {
  if (typeof schema !== "object" || schema === null) return "draft-07";
  const declared = (schema as { $schema?: unknown }).$schema;
  if (declared === undefined) return "draft-07";
  if (typeof declared !== "string") return null;
  return DIALECTS[declared.replace(/#$/, "")] ?? null;
}

type AnyAjv = Ajv | Ajv2019 | Ajv2020;

function create(draft: Draft, options: Options): AnyAjv {
  if (draft === "2020-12") return new Ajv2020(options);
  if (draft === "2019-09") return new Ajv2019(options);
  return new Ajv(options);
}

/**
 * One instance per schema: two routes may use the same $id, and an instance keeps every schema it
 * compiled. validateSchema is off because metaCheck() already ran; that also spares each instance
 * compiling the meta-schema (most of an instance's cost).
 */
export function newCompiler(draft: Draft, coerce: boolean): AnyAjv {
  const ajv = create(draft, {
    allErrors: true,
    // Schemas copied from OpenAPI documents carry annotations (example, x-*) strict mode refuses;
    // lint-schema.ts reports the misspelt keywords and unknown formats strict mode would catch.
    strict: false,
    validateSchema: false,
    logger: false,
    // `required: ["constructor"]` must not be met by Object.prototype.
    ownProperties: true,
    // Query and path values arrive as strings; "array" also turns a single value into [value].
    coerceTypes: coerce ? "array" : false,
  });
  for (const [name, validate] of Object.entries(FORMATS)) ajv.addFormat(name, { type: "string", validate });
  return ajv;
}

const metaCheckers = new Map<Draft, AnyAjv>();

/** Validates schemas against their meta-schema; never compiles or keeps them, so one per process is enough. */
export function metaChecker(draft: Draft): AnyAjv {
  let ajv = metaCheckers.get(draft);
  if (ajv === undefined) {
    ajv = create(draft, { allErrors: true, strict: false, logger: false });
    metaCheckers.set(draft, ajv);
  }
  return ajv;
}

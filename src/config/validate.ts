// Schema validation with ajv, with its errors rewritten into messages people can act on.
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { CONFIG_SCHEMA } from "./schema.ts";
import { parseDuration, parseRate, parseSize, isUnitError } from "./units.ts";
import { describeValue, didYouMean, formatPath, type ConfigPath } from "./describe.ts";
import type { Issue } from "./config-error.ts";

let compiled: ValidateFunction | undefined;

// Compiled on first use, once per process: ajv generates code, which is not free.
function validator(): ValidateFunction {
  if (compiled) return compiled;
  const ajv = new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true, strict: true });
  ajv.addKeyword("expect");
  ajv.addKeyword("suggest");
  ajv.addFormat("duration", { type: "string", validate: (s: string) => !isUnitError(parseDuration(s)) });
  ajv.addFormat("positive-duration", { type: "string", validate: (s: string) => (parseDuration(s) as number) > 0 });
  ajv.addFormat("size", { type: "string", validate: (s: string) => !isUnitError(parseSize(s)) });
  ajv.addFormat("rate", { type: "string", validate: (s: string) => !isUnitError(parseRate(s)) });
  return (compiled = ajv.compile(CONFIG_SCHEMA));
}

interface SchemaNode {
  expect?: string;
  /** Words a misspelt string value is matched against for "did you mean" (where enum cannot be used). */
  suggest?: string[];
  properties?: Record<string, unknown>;
  enum?: unknown[];
  format?: string;
}

export function validateSchema(config: unknown): Issue[] {
  const validate = validator();
  if (validate(config)) return [];
  const seen = new Set<string>();
  const issues: Issue[] = [];
  for (const e of validate.errors ?? []) {
    const issue = rewrite(e, toPath(e.instancePath, config));
    if (!issue) continue;
    const id = `${formatPath(issue.path)}\0${issue.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    issues.push(issue);
  }
  return issues;
}

function rewrite(e: ErrorObject, path: ConfigPath): Issue | undefined {
  const where = formatPath(path);
  const at = where ? `${where}: ` : "";
  const schema = (e.parentSchema ?? {}) as SchemaNode;
  const got = describeValue(e.data);
  const propertyName = (e as { propertyName?: string }).propertyName;
  if (propertyName !== undefined) {
    return { path: [...path, propertyName], atKey: true, message: `${at}invalid key ${JSON.stringify(propertyName)}; expected ${schema.expect}` };
  }
  switch (e.keyword) {
    case "propertyNames":
      return undefined; // reported by the inner error, which names the key
    case "additionalProperties": {
      const key = String(e.params.additionalProperty);
      const allowed = Object.keys(schema.properties ?? {});
      const hint = didYouMean(key, allowed);
      return {
        path: [...path, key],
        atKey: true,
        message: `unknown key ${JSON.stringify(key)} ${where ? `in ${where}` : "at the top level"}; expected one of: ${allowed.join(", ")}${hint ? ` (did you mean "${hint}"?)` : ""}`,
      };
    }
    case "required":
      return { path, message: `${at}missing required key "${e.params.missingProperty}"` };
    case "enum": {
      const allowed = (schema.enum ?? []).map(String);
      const hint = typeof e.data === "string" ? didYouMean(e.data, allowed) : undefined;
      return { path, message: `${at}expected one of: ${allowed.join(", ")}, got ${got}${hint ? ` (did you mean "${hint}"?)` : ""}` };
    }
    case "format": {
      const parsed = schema.format === "size" ? parseSize(e.data) : schema.format === "rate" ? parseRate(e.data) : parseDuration(e.data);
      // Parses, yet failed: only "positive-duration" can do that (a zero duration).
      return { path, message: `${at}${isUnitError(parsed) ? parsed.error : `expected a duration greater than 0, got ${got}`}` };
    }
    default: {
      const hint = schema.suggest && typeof e.data === "string" ? didYouMean(e.data, schema.suggest) : undefined;
      return { path, message: schema.expect ? `${at}expected ${schema.expect}, got ${got}${hint ? ` (did you mean "${hint}"?)` : ""}` : `${at}${e.message}` };
    }
  }
}

/** JSON pointer → path, with array indexes as numbers (as the config value says). */
function toPath(pointer: string, config: unknown): ConfigPath {
  const path: (string | number)[] = [];
  let v: unknown = config;
  for (const raw of pointer.split("/").slice(1)) {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    const isIndex = Array.isArray(v) && /^\d+$/.test(seg);
    path.push(isIndex ? Number(seg) : seg);
    v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[seg] : undefined;
  }
  return path;
}

// ajv's errors as an API client reads them: a JSON pointer to the offending value (a missing or
// unexpected property is pointed at by name) and a short message ("must be integer", "is required").

import type { ErrorObject } from "ajv";

export interface ValidationError {
  readonly in: "body" | "query" | "params";
  /** RFC 6901, e.g. "/items/0/name"; for a missing required property, the property itself, e.g. "/name". */
  readonly pointer: string;
  readonly message: string;
}

const ENUM_SHOWN = 10;

/** RFC 6901 §3: "~" and "/" in a reference token are escaped. */
export function escapePointerToken(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** null for errors that only repeat another one (the "if" wrapper around its "then"/"else" failure). */
export function toValidationError(where: ValidationError["in"], e: ErrorObject): ValidationError | null {
  const p = e.params as Record<string, unknown>;
  const at = (name: unknown) => `${e.instancePath}/${escapePointerToken(String(name))}`;
  switch (e.keyword) {
    case "if":
      return null;
    case "required":
      return { in: where, pointer: at(p.missingProperty), message: "is required" };
    case "dependentRequired":
    case "dependencies":
      return { in: where, pointer: at(p.missingProperty), message: `is required when "${String(p.property)}" is present` };
    case "additionalProperties":
      return { in: where, pointer: at(p.additionalProperty), message: "is not allowed" };
    case "unevaluatedProperties":
      return { in: where, pointer: at(p.unevaluatedProperty), message: "is not allowed" };
    case "propertyNames":
      return { in: where, pointer: at(p.propertyName), message: "is not an allowed property name" };
    case "type":
      return { in: where, pointer: e.instancePath, message: `must be ${String(p.type).replace(/,/g, " or ")}` };
    case "enum": {
      const allowed = (p.allowedValues as unknown[]) ?? [];
      const shown = allowed.slice(0, ENUM_SHOWN).map((v) => JSON.stringify(v)).join(", ");
      return { in: where, pointer: e.instancePath, message: `must be one of: ${shown}${allowed.length > ENUM_SHOWN ? ", ..." : ""}` };
    }
    case "const":
      return { in: where, pointer: e.instancePath, message: `must be ${JSON.stringify(p.allowedValue)}` };
    case "format":
      return { in: where, pointer: e.instancePath, message: `must be a valid ${String(p.format)}` };
    case "anyOf":
      return { in: where, pointer: e.instancePath, message: "must match one of the allowed shapes (anyOf)" };
    case "oneOf":
      return { in: where, pointer: e.instancePath, message: "must match exactly one of the allowed shapes (oneOf)" };
    case "not":
      return { in: where, pointer: e.instancePath, message: "must not match the excluded shape (not)" };
    case "false schema":
      return { in: where, pointer: e.instancePath, message: "is not allowed" };
    default:
      return { in: where, pointer: e.instancePath, message: (e.message ?? "is invalid").replace(/\bNOT\b/g, "not") };
  }
}

/** One line for logs or a problem's detail: "body /age: must be integer". */
export function formatValidationError(e: ValidationError): string {
  return `${e.in}${e.pointer === "" ? "" : ` ${e.pointer}`}: ${e.message}`;
}

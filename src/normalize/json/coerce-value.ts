// `coerce` conversions. null stays null for every kind; a value that cannot be converted is a
// failure (the field would otherwise reach the other side with a type it does not expect).

import { ConversionFailure, type Conversion } from "./conversion.ts";
import type { CoerceKind } from "./types.ts";

/** Decimal text only: no hex, no "Infinity", no blanks (Number("") would be 0). */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

const NOT_NUMBER = new ConversionFailure("expected a number or a numeric string");
const NOT_INTEGER = new ConversionFailure("expected an integer or an integral string (within ±2^53)");
const NOT_BOOLEAN = new ConversionFailure('expected true, false, "true", "false", "1", "0", 1 or 0');
const NOT_SCALAR = new ConversionFailure("expected a string, number or boolean");

export function coercion(kind: CoerceKind): Conversion {
  switch (kind) {
    case "number":
      return toNumber;
    case "integer":
      return toInteger;
    case "boolean":
      return toBoolean;
    case "string":
      return toText;
  }
}

function toNumber(value: unknown): unknown {
  if (value === null) return null;
  if (typeof value === "number") return value;
  return typeof value === "string" ? parseDecimal(value) ?? NOT_NUMBER : NOT_NUMBER;
}

function toInteger(value: unknown): unknown {
  if (value === null) return null;
  const n = typeof value === "number" ? value : typeof value === "string" ? parseDecimal(value) : null;
  return n !== null && Number.isSafeInteger(n) ? n : NOT_INTEGER;
}

function toBoolean(value: unknown): unknown {
  switch (value) {
    case null:
    case true:
    case false:
      return value;
    case "true":
    case "1":
    case 1:
      return true;
    case "false":
    case "0":
    case 0:
      return false;
    default:
      return NOT_BOOLEAN;
  }
}

/** Numbers and booleans become their JSON text (String(n) is JSON.stringify(n) for finite n). */
function toText(value: unknown): unknown {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
    case "boolean":
      return String(value);
    default:
      return value === null ? null : NOT_SCALAR;
  }
}

function parseDecimal(text: string): number | null {
  if (!DECIMAL.test(text)) return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

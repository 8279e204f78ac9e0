// onRequest may return a reply instead of forwarding. User code can return anything, so the
// shape is checked before Keel builds a response from it.
import { isFieldName, isFieldValue } from "./header-syntax.ts";
import type { HookReply } from "./types.ts";

/**
 * null: no reply (undefined or null was returned); a HookReply: a usable reply; a string: what is
 * wrong with it. The status range is 200-599: 1xx are interim answers, not replies (and Bun's
 * Response refuses them).
 */
export function checkReply(value: unknown): HookReply | null | string {
  if (value === undefined || value === null) return null;
  if (typeof value !== "object" || Array.isArray(value)) {
    return `onRequest returned ${Array.isArray(value) ? "an array" : "a " + typeof value}; expected nothing or a reply { status, headers?, body? }`;
  }
  const { status, headers } = value as { status?: unknown; headers?: unknown };
  if (typeof status !== "number" || !Number.isInteger(status) || status < 200 || status > 599) {
    return `reply status must be an integer from 200 to 599, got ${describe(status)}`;
  }
  if (headers !== undefined) {
    if (typeof headers !== "object" || headers === null || Array.isArray(headers)) {
      return `reply headers must be a mapping of names to strings, got ${describe(headers)}`;
    }
    for (const name of Object.keys(headers)) {
      const v = (headers as Record<string, unknown>)[name];
      if (!isFieldName(name)) return `reply header name ${JSON.stringify(name)} is not a valid field name`;
      if (typeof v !== "string") return `reply header ${name} must be a string, got ${describe(v)}`;
      if (!isFieldValue(v)) return `reply header ${name} contains CR, LF or NUL`;
    }
  }
  return value as HookReply;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v);
  return `a ${typeof v}`;
}

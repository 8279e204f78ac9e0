// A request's rate-limit key, from the policy's KeyParts, compiled once per policy.
// - Several parts are joined with NUL, which no part can contain: HTTP field values may not
//   (RFC 9110 §5.5, and Bun's parser refuses it), path params are raw segments (not decoded), the
//   client IP and route name are plain text. So distinct part lists never make the same key.
// - A missing header or param is the empty string: every request without, say, the API key
//   shares one bucket (a header sent empty lands in that bucket too).
// - No parts: one key ("") for everything the policy sees.
// The single-part keys, by far the commonest ([clientIp] above all), read one field and build
// no string.
import type { KeyPart } from "../types.ts";

export interface KeyInput {
  readonly clientIp: string;
  header(name: string): string | null;
  param(name: string): string | null;
  readonly route: string;
}

export type KeyFunction = (input: KeyInput) => string;

export const KEY_SEPARATOR = "\u0000";

export function compileKey(parts: readonly KeyPart[]): KeyFunction {
  if (parts.length === 0) return () => "";
  if (parts.length === 1) return partReader(parts[0]!);
  const readers = parts.map(partReader);
  if (readers.length === 2) {
    const [a, b] = readers as [KeyFunction, KeyFunction];
    return (input) => a(input) + KEY_SEPARATOR + b(input);
  }
  return (input) => {
    let key = readers[0]!(input);
    for (let i = 1; i < readers.length; i++) key += KEY_SEPARATOR + readers[i]!(input);
    return key;
  };
}

function partReader(part: KeyPart): KeyFunction {
  switch (part.kind) {
    case "clientIp":
      return (input) => input.clientIp;
    case "route":
      return (input) => input.route;
    case "header": {
      const name = part.name;
      return (input) => input.header(name) ?? "";
    }
    case "param": {
      const name = part.name;
      return (input) => input.param(name) ?? "";
    }
  }
}

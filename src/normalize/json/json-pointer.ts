// RFC 6901 JSON Pointers for rule errors. Built only when a rule fails, from the path's steps and
// the array indices the walk was at, so a body that passes never pays for them.

import { EACH, type PathStep } from "./json-path.ts";

/** `indices[i]` is the element index for each EACH step `steps[i]` (other entries unused). */
export function pointerAt(steps: readonly PathStep[], indices: ArrayLike<number>, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) {
    const step = steps[i];
    out += step === EACH ? "/" + indices[i] : "/" + escapeToken(step!);
  }
  return out;
}

/** "~" → "~0", "/" → "~1" (in that order, per RFC 6901 §3). */
export function escapeToken(key: string): string {
  if (key.indexOf("~") === -1 && key.indexOf("/") === -1) return key;
  return key.replaceAll("~", "~0").replaceAll("/", "~1");
}

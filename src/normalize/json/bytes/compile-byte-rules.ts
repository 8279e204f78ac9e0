// The byte path of the JSON rules (byte-pass.ts): compiled once per route at config load, next to
// the tree path (compile-json-rules.ts), which it hands every body it does not do.

import type { JsonLimits, JsonRulesConfig } from "../types.ts";
import { compileBytePlan } from "./byte-plan.ts";
import { runBytePass } from "./byte-pass.ts";

/** Body bytes → the transformed body's bytes, or null: run the tree path (it also words every error). */
export type ByteTransform = (bytes: Uint8Array, limits: JsonLimits) => Uint8Array | null;

/** null when the rules hold something only the tree path does. */
export function compileByteRules(config: JsonRulesConfig): ByteTransform | null {
  const plan = compileBytePlan(config);
  if (plan === null) return null;
  return (bytes, limits) => runBytePass(plan, bytes, limits.maxBytes, limits.maxDepth);
}

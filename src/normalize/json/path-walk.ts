// Walking one compiled path through a body. A path whose parent is missing or of another type
// names nothing in this body, so the walk just stops (rules describe shapes, not requirements).
// Recursion is one level per path step, never per body level.

import { ConversionFailure, type Conversion } from "./conversion.ts";
import { EACH, type PathStep } from "./json-path.ts";
import { pointerAt } from "./json-pointer.ts";
import { hasOwn, isJsonObject, setOwn } from "./own-property.ts";
import type { JsonRuleError } from "./types.ts";

/** A conversion bound to its path. `indices` is scratch for the array indices of the walk (transforms run synchronously, so one per rule is enough). */
export interface ConversionRule {
  readonly steps: readonly PathStep[];
  readonly indices: number[];
  readonly convert: Conversion;
}

/** Converts every value the path names in place; the first failure stops the walk. */
export function applyConversion(root: unknown, rule: ConversionRule): JsonRuleError | null {
  return convertFrom(root, rule, 0);
}

function convertFrom(node: unknown, rule: ConversionRule, i: number): JsonRuleError | null {
  const steps = rule.steps;
  const step = steps[i]!;
  const last = i === steps.length - 1;
  if (step === EACH) {
    if (!Array.isArray(node)) return null;
    for (let j = 0; j < node.length; j++) {
      rule.indices[i] = j;
      if (last) {
        const out = rule.convert(node[j]);
        if (out instanceof ConversionFailure) return failure(rule, i + 1, out);
        node[j] = out;
      } else {
        const error = convertFrom(node[j], rule, i + 1);
        if (error !== null) return error;
      }
    }
    return null;
  }
  if (!isJsonObject(node) || !hasOwn(node, step)) return null;
  const value = node[step];
  if (!last) return convertFrom(value, rule, i + 1);
  const out = rule.convert(value);
  if (out instanceof ConversionFailure) return failure(rule, i + 1, out);
  if (out !== value) setOwn(node, step, out);
  return null;
}

function failure(rule: ConversionRule, depth: number, out: ConversionFailure): JsonRuleError {
  return { pointer: pointerAt(rule.steps, rule.indices, depth), message: out.message };
}

/** Deletes the field the path names (its last step is a key) wherever it exists. */
export function omitField(node: unknown, steps: readonly PathStep[], i: number): void {
  const step = steps[i]!;
  if (step === EACH) {
    if (!Array.isArray(node)) return;
    for (let j = 0; j < node.length; j++) omitField(node[j], steps, i + 1);
    return;
  }
  if (!isJsonObject(node) || !hasOwn(node, step)) return;
  if (i === steps.length - 1) delete node[step];
  else omitField(node[step], steps, i + 1);
}

/** Sets the field the path names (its last step is a key) to make() where its object lacks it. */
export function fillDefault(node: unknown, steps: readonly PathStep[], i: number, make: () => unknown): void {
  const step = steps[i]!;
  if (step === EACH) {
    if (!Array.isArray(node)) return;
    for (let j = 0; j < node.length; j++) fillDefault(node[j], steps, i + 1, make);
    return;
  }
  if (!isJsonObject(node)) return;
  if (i === steps.length - 1) {
    if (!hasOwn(node, step)) setOwn(node, step, make());
  } else if (hasOwn(node, step)) fillDefault(node[step], steps, i + 1, make);
}

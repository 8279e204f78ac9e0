// The JSON rules as two trees the byte pass follows while it copies a body: places by the
// SENDER's names (omit, conversions, renames) and places by the OUTPUT names (defaults), exactly
// as the tree path reads them (compile-json-rules.ts). Names are kept as the bytes the pass
// writes for them (JSON-escaped the way JSON.stringify escapes, UTF-8), so matching a key is a
// byte comparison and never builds a string.

import { coercion } from "../coerce-value.ts";
import { lowercaseString, type Conversion } from "../conversion.ts";
import { dateConversion } from "../date-value.ts";
import { readJsonRules, type DefaultRule } from "../compile-json-rules.ts";
import { EACH, type PathStep } from "../json-path.ts";
import { fillDefault } from "../path-walk.ts";
import type { JsonRulesConfig, KeyCase } from "../types.ts";
import { sameBytes } from "./json-bytes.ts";

/** How the byte pass converts a value: cheap cases in bytes, the rest through `convert`. */
export const ConversionKind = { Other: 0, Lowercase: 1, Number: 2, Boolean: 3, Rfc3339: 4 } as const;
export type ConversionKind = (typeof ConversionKind)[keyof typeof ConversionKind];

export interface ValueConversion {
  readonly kind: ConversionKind;
  readonly convert: Conversion;
}

/** A field of the object at a place, named by the sender. */
export interface FieldRule {
  readonly name: Uint8Array;
  omit: boolean;
  /** The field's output name (final: `keys` does not re-case it). */
  renameTo: Uint8Array | null;
  /** Rules for the field's value. */
  place: RulePlace | null;
}

export interface RulePlace {
  conversion: ValueConversion | null;
  readonly fields: FieldRule[];
  /** Bit (length & 31) set for every field name's byte length: most keys are told apart by that alone. */
  nameLengths: number;
  /** Rules for every element when the value here is an array. */
  each: RulePlace | null;
}

/** A default to add to the object at a place when it lacks the field. */
export interface DefaultFill {
  readonly name: Uint8Array;
  /** `"name":value`, the value with the deeper defaults already filled in. */
  readonly member: Uint8Array;
}

export interface DefaultPlace {
  readonly fills: DefaultFill[];
  /** Length bits of the fills' and the fields' names (as RulePlace.nameLengths). */
  fillLengths: number;
  fieldLengths: number;
  /** Bytes all fills take with their commas (room made before writing them). */
  fillBytes: number;
  readonly fields: { readonly name: Uint8Array; readonly place: DefaultPlace }[];
  each: DefaultPlace | null;
}

export interface BytePlan {
  readonly rules: RulePlace | null;
  readonly defaults: DefaultPlace | null;
  readonly keys: KeyCase | null;
}

/** A present-field bitmask per object holds this many defaults of one place. */
const MAX_FILLS_PER_PLACE = 31;

const encoder = new TextEncoder();

/** The bytes the pass writes for a name (without its quotes). */
export function nameBytes(name: string): Uint8Array {
  return encoder.encode(JSON.stringify(name).slice(1, -1));
}

/** The plan, or null when the rules hold something the byte pass does not do (the tree path does). */
export function compileBytePlan(config: JsonRulesConfig): BytePlan | null {
  const read = readJsonRules(config);
  let rules: RulePlace | null = null;
  const root = (): RulePlace => (rules ??= emptyPlace());
  for (const steps of read.omits) fieldAt(root(), steps).omit = true;
  for (const rename of read.renames) fieldAt(root(), rename.steps).renameTo = nameBytes(rename.target);
  for (const rule of read.conversions) {
    const place = valuePlace(root(), rule.steps);
    if (place.conversion !== null) return null; // two conversions of one value: the tree path applies both in order
    place.conversion = { kind: kindOf(rule.convert), convert: rule.convert };
  }
  const defaults = defaultTree(read.defaults);
  if (defaults === undefined) return null;
  return { rules, defaults, keys: read.keys };
}

function emptyPlace(): RulePlace {
  return { conversion: null, fields: [], nameLengths: 0, each: null };
}

function kindOf(convert: Conversion): ConversionKind {
  if (convert === lowercaseString) return ConversionKind.Lowercase;
  if (convert === coercion("number")) return ConversionKind.Number;
  if (convert === coercion("boolean")) return ConversionKind.Boolean;
  if (convert === dateConversion("rfc3339")) return ConversionKind.Rfc3339;
  return ConversionKind.Other;
}

/** The place the steps lead to, made on the way. */
function valuePlace(root: RulePlace, steps: readonly PathStep[]): RulePlace {
  let place = root;
  for (const step of steps) {
    if (step === EACH) place = place.each ??= emptyPlace();
    else {
      const field = fieldIn(place, step);
      place = field.place ??= emptyPlace();
    }
  }
  return place;
}

/** The field a path that ends with a key names, made on the way. */
function fieldAt(root: RulePlace, steps: readonly PathStep[]): FieldRule {
  const parent = valuePlace(root, steps.slice(0, -1));
  return fieldIn(parent, steps[steps.length - 1] as string);
}

function fieldIn(place: RulePlace, key: string): FieldRule {
  const name = nameBytes(key);
  for (const field of place.fields) if (sameName(field.name, name)) return field;
  const field: FieldRule = { name, omit: false, renameTo: null, place: null };
  place.fields.push(field);
  place.nameLengths |= lengthBit(name);
  return field;
}

/** The defaults by output names; undefined when a place has more of them than the pass tracks. */
function defaultTree(defaults: readonly DefaultRule[]): DefaultPlace | null | undefined {
  if (defaults.length === 0) return null;
  const root = emptyDefaultPlace();
  for (let d = 0; d < defaults.length; d++) {
    const steps = defaults[d]!.steps;
    let place = root;
    for (let s = 0; s < steps.length - 1; s++) {
      const step = steps[s]!;
      if (step === EACH) place = place.each ??= emptyDefaultPlace();
      else {
        const name = nameBytes(step);
        let field = place.fields.find((f) => sameName(f.name, name));
        if (field === undefined) {
          place.fields.push((field = { name, place: emptyDefaultPlace() }));
          place.fieldLengths |= lengthBit(name);
        }
        place = field.place;
      }
    }
    const key = steps[steps.length - 1] as string;
    if (/^(?:0|[1-9]\d{0,9})$/.test(key) && Number(key) < 4294967295) return undefined; // an index name: Object.keys would move it
    const value = filledDefault(defaults, d);
    const member = encoder.encode(JSON.stringify(key) + ":" + JSON.stringify(value));
    place.fills.push({ name: nameBytes(key), member });
    place.fillLengths |= lengthBit(nameBytes(key));
    place.fillBytes += member.length + 1;
    if (place.fills.length > MAX_FILLS_PER_PLACE) return undefined;
  }
  return root;
}

/** Default d's value as the tree path leaves it: made, then every deeper default inside it filled (shallower first). */
function filledDefault(defaults: readonly DefaultRule[], d: number): unknown {
  const own = defaults[d]!.steps;
  const value = defaults[d]!.make();
  for (let e = 0; e < defaults.length; e++) {
    const steps = defaults[e]!.steps;
    if (e === d || steps.length <= own.length || !startsWith(steps, own)) continue;
    // fillDefault walks from a parent: wrap the value so the relative path starts at a key.
    const holder = { value };
    fillDefault(holder, ["value", ...steps.slice(own.length)], 0, defaults[e]!.make);
  }
  return value;
}

function lengthBit(name: Uint8Array): number {
  return 1 << (name.length & 31);
}

function emptyDefaultPlace(): DefaultPlace {
  return { fills: [], fillBytes: 0, fillLengths: 0, fields: [], fieldLengths: 0, each: null };
}

function startsWith(steps: readonly PathStep[], prefix: readonly PathStep[]): boolean {
  for (let i = 0; i < prefix.length; i++) if (steps[i] !== prefix[i]) return false;
  return true;
}

function sameName(a: Uint8Array, b: Uint8Array): boolean {
  return sameBytes(a, b, 0, b.length);
}

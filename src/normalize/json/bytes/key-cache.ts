// What the byte pass decided for each key of the last object it read at one place: the key's
// bytes as sent, its output name, and what the rules do with it. Objects at one place mostly
// repeat their keys in the same order (the elements of an array, one API's answers), so the pass
// compares the key at position i with the one remembered at position i and, when the bytes agree,
// reuses the decision instead of re-casing the key and looking it up in the rules again.
//
// A decision is a function of the place and the key's bytes alone (the rules are fixed for a
// plan), so a remembered one is right whenever the bytes agree; a key that differs is decided
// in full and remembered in its position's stead. Plain ASCII keys only (no escapes).

import type { DefaultPlace, FieldRule } from "./byte-plan.ts";

/** Positions remembered per place: the pass's own cap on keys per object. */
export const KEY_POSITIONS = 64;
/** Ints per position in `slots`: raw offset, raw length (-1: none), output offset, output length, seen bit, fill bit. */
export const KEY_SLOTS = 6;
/** Bytes of names kept per place; when full, every position is forgotten and filling starts again. */
const POOL_BYTES = 2048;

export class KeyCache {
  readonly slots = new Int32Array(KEY_POSITIONS * KEY_SLOTS).fill(-1);
  readonly bytes = new Uint8Array(POOL_BYTES);
  /** The field of the rules each key names (null: none), and the defaults below its output name. */
  readonly fields: (FieldRule | null)[] = new Array<FieldRule | null>(KEY_POSITIONS).fill(null);
  readonly defaults: (DefaultPlace | null)[] = new Array<DefaultPlace | null>(KEY_POSITIONS).fill(null);
  private used = 0;

  /**
   * Remembers the decision for the key at `position`: its bytes s[rawStart, rawEnd) as sent and
   * d[outStart, outEnd) as written (empty for an omitted key).
   */
  remember(position: number, s: Uint8Array, rawStart: number, rawEnd: number, d: Uint8Array, outStart: number, outEnd: number, seen: number, fill: number, field: FieldRule | null, below: DefaultPlace | null): void {
    const rawLength = rawEnd - rawStart;
    const outLength = outEnd - outStart;
    if (rawLength + outLength > POOL_BYTES) return;
    if (this.used + rawLength + outLength > POOL_BYTES) this.forget();
    const at = position * KEY_SLOTS;
    const slots = this.slots;
    const bytes = this.bytes;
    slots[at] = this.used;
    bytes.set(s.subarray(rawStart, rawEnd), this.used);
    this.used += rawLength;
    slots[at + 1] = rawLength;
    slots[at + 2] = this.used;
    bytes.set(d.subarray(outStart, outEnd), this.used);
    this.used += outLength;
    slots[at + 3] = outLength;
    slots[at + 4] = seen;
    slots[at + 5] = fill;
    this.fields[position] = field;
    this.defaults[position] = below;
  }

  private forget(): void {
    this.slots.fill(-1);
    this.fields.fill(null);
    this.defaults.fill(null);
    this.used = 0;
  }
}

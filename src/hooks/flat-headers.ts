// HookHeaders over Keel's flat [name, value, ...] array: the hook edits the very array that is
// forwarded, so there is no copy in and no copy out.
import { isFieldName, isFieldValue } from "./header-syntax.ts";
import type { HookHeaders } from "./types.ts";
import { removeField, setField } from "../normalize/headers/flat-fields.ts";

export class FlatHeaders implements HookHeaders {
  /** `flat` holds lower-case names at even indexes; it is mutated in place. */
  constructor(private readonly flat: string[]) {}

  get(name: string): string | null {
    const n = name.toLowerCase();
    const f = this.flat;
    let found: string | null = null;
    for (let i = 0; i < f.length; i += 2) {
      if (f[i] === n) found = found === null ? f[i + 1]! : found + ", " + f[i + 1]!;
    }
    return found;
  }

  set(name: string, value: string): void {
    setField(this.flat, checked(name, value), value);
  }

  append(name: string, value: string): void {
    this.flat.push(checked(name, value), value);
  }

  delete(name: string): void {
    removeField(this.flat, name.toLowerCase());
  }

  has(name: string): boolean {
    const n = name.toLowerCase();
    const f = this.flat;
    for (let i = 0; i < f.length; i += 2) if (f[i] === n) return true;
    return false;
  }

  *entries(): IterableIterator<[string, string]> {
    const f = this.flat;
    for (let i = 0; i + 1 < f.length; i += 2) yield [f[i]!, f[i + 1]!];
  }
}

/** Hooks are user code, so a bad field is a programming error: throw, like the Fetch Headers class does. */
function checked(name: string, value: string): string {
  if (typeof name !== "string" || !isFieldName(name)) throw new TypeError(`invalid header name: ${JSON.stringify(String(name))}`);
  if (typeof value !== "string") throw new TypeError(`header ${name}: the value must be a string, not ${typeof value}`);
  if (!isFieldValue(value)) throw new TypeError(`header ${name}: the value contains CR, LF or NUL`);
  return name.toLowerCase();
}

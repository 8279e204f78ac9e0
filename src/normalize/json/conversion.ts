// The shape of a per-field value conversion (lowercase, coerce, dates). Failures are preallocated
// constants, so converting a field allocates nothing unless the value itself changes.

export class ConversionFailure {
  constructor(readonly message: string) {}
}

/** Returns the new value (possibly the same one) or a ConversionFailure. */
export type Conversion = (value: unknown) => unknown;

export function lowercaseString(value: unknown): unknown {
  return typeof value === "string" ? value.toLowerCase() : value;
}

// Reading the rules mapping defensively: the schema has checked it, but compileJsonRules and
// checkJsonRules must not throw even on a mapping that slipped past (wrong container types).

export function entriesOf(record: unknown): [string, unknown][] {
  return typeof record === "object" && record !== null && !Array.isArray(record) ? Object.entries(record) : [];
}

export function itemsOf(list: unknown): unknown[] {
  return Array.isArray(list) ? list : [];
}

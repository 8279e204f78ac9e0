// Finds where a config path (["routes", 0, "match"]) is written in the parsed YAML document.
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node } from "yaml";
import type { ConfigPath } from "./describe.ts";

/**
 * Offset of the value at `path` (or of its key, with atKey). When the path is not in the
 * document as written (aliases, missing keys), the nearest enclosing node is used.
 */
export function locate(doc: Document, path: ConfigPath, atKey = false): number {
  let node: unknown = doc.contents;
  let best = rangeStart(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (isAlias(node)) node = safeResolve(doc, node);
    let next: unknown;
    let keyNode: unknown;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyString(p.key) === String(seg));
      keyNode = pair?.key;
      next = pair?.value ?? pair?.key;
    } else if (isSeq(node) && typeof seg === "number") {
      next = node.items[seg];
    }
    if (next === undefined || next === null) return best;
    if (atKey && i === path.length - 1 && keyNode) return rangeStart(keyNode) ?? best;
    node = next;
    best = rangeStart(node) ?? best;
  }
  return best;
}

function keyString(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | null)?.range?.[0];
}

function safeResolve(doc: Document, alias: { resolve(doc: Document): unknown }): unknown {
  try {
    return alias.resolve(doc);
  } catch {
    return undefined;
  }
}

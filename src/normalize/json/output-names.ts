// The naming steps, `rename` then `keys`, done in one pass. Renames are compiled into a tree that
// follows the body (keyed by the sender's names), so while re-casing every key the pass knows at
// each object which fields are renamed, and those keep their rename (they are not re-cased).
// An object is rebuilt only when one of its keys changes, which keeps its fields in their order.

import { EACH, type PathStep } from "./json-path.ts";
import { keyConverter } from "./key-case.ts";
import { hasOwn, setOwn, type JsonObject } from "./own-property.ts";
import type { KeyCase } from "./types.ts";

export interface RenameRule {
  /** Source path (sender's names); its last step is a key. */
  readonly steps: readonly PathStep[];
  /** The new last name. */
  readonly target: string;
}

/** One place in the body: renames of the fields of the object there, and the places below. */
interface RenameNode {
  /** source key → new name, for the object at this place. */
  renames: Map<string, string> | null;
  sources: string[];
  /** new name → source key: a field that would take a new name loses to the renamed field. */
  winners: Map<string, string> | null;
  children: Map<string, RenameNode> | null;
  childKeys: string[];
  childNodes: RenameNode[];
  /** The place of every element when this place holds an array. */
  each: RenameNode | null;
}

type Convert = ((key: string) => string) | null;

/** null when there is nothing to rename or re-case. */
export function compileOutputNames(rules: readonly RenameRule[], keys: KeyCase | undefined): ((value: unknown) => unknown) | null {
  const convert: Convert = keys === "camelCase" || keys === "snake_case" ? keyConverter(keys) : null;
  if (rules.length === 0 && convert === null) return null;
  const root = rules.length === 0 ? null : renameTree(rules);
  return (value) => rename(value, root, convert);
}

function renameTree(rules: readonly RenameRule[]): RenameNode {
  const root = emptyNode();
  for (const rule of rules) {
    let node = root;
    const last = rule.steps.length - 1;
    for (let i = 0; i < last; i++) {
      const step = rule.steps[i]!;
      if (step === EACH) node = node.each ??= emptyNode();
      else {
        node.children ??= new Map();
        let child = node.children.get(step);
        if (child === undefined) {
          child = emptyNode();
          node.children.set(step, child);
          node.childKeys.push(step);
          node.childNodes.push(child);
        }
        node = child;
      }
    }
    const source = rule.steps[last] as string;
    (node.renames ??= new Map()).set(source, rule.target);
    (node.winners ??= new Map()).set(rule.target, source);
    node.sources.push(source);
  }
  return root;
}

function emptyNode(): RenameNode {
  return { renames: null, sources: [], winners: null, children: null, childKeys: [], childNodes: [], each: null };
}

/** The value with its keys renamed; objects whose keys change are replaced, arrays are updated in place. */
function rename(value: unknown, node: RenameNode | null, convert: Convert): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    const each = node === null ? null : node.each;
    if (each === null && convert === null) return value;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (typeof item !== "object" || item === null) continue;
      const out = rename(item, each, convert);
      if (out !== item) value[i] = out;
    }
    return value;
  }
  const obj = value as JsonObject;
  if (convert !== null) return renameAndRecase(obj, node, convert);
  return node === null ? obj : renameOnly(obj, node);
}

/** Without `keys`: only the places the tree names are visited. */
function renameOnly(obj: JsonObject, node: RenameNode): JsonObject {
  let renamed = false;
  for (let i = 0; i < node.sources.length; i++) {
    if (hasOwn(obj, node.sources[i]!)) {
      renamed = true;
      break;
    }
  }
  if (renamed) return rebuild(obj, Object.keys(obj), node, null);
  for (let i = 0; i < node.childKeys.length; i++) {
    const key = node.childKeys[i]!;
    if (!hasOwn(obj, key)) continue;
    const child = obj[key];
    const out = rename(child, node.childNodes[i]!, null);
    if (out !== child) setOwn(obj, key, out);
  }
  return obj;
}

/** With `keys`: every key of every object is converted, except the renamed ones. */
function renameAndRecase(obj: JsonObject, node: RenameNode | null, convert: (key: string) => string): JsonObject {
  const keys = Object.keys(obj);
  const renames = node === null ? null : node.renames;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if ((renames !== null && renames.has(key)) || convert(key) !== key) return rebuild(obj, keys, node, convert);
  }
  const children = node === null ? null : node.children;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const child = obj[key];
    if (typeof child !== "object" || child === null) continue;
    const out = rename(child, children === null ? null : children.get(key) ?? null, convert);
    if (out !== child) setOwn(obj, key, out);
  }
  return obj;
}

function rebuild(obj: JsonObject, keys: readonly string[], node: RenameNode | null, convert: Convert): JsonObject {
  const out: JsonObject = {};
  const renames = node === null ? null : node.renames;
  const winners = node === null ? null : node.winners;
  const children = node === null ? null : node.children;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    let child = obj[key];
    if (typeof child === "object" && child !== null) {
      const below = children === null ? null : children.get(key) ?? null;
      if (below !== null || convert !== null) child = rename(child, below, convert);
    }
    const target = renames === null ? undefined : renames.get(key);
    if (target !== undefined) {
      setOwn(out, target, child);
      continue;
    }
    const name = convert === null ? key : convert(key);
    if (winners !== null) {
      const source = winners.get(name);
      if (source !== undefined && hasOwn(obj, source)) continue; // the renamed field takes this name
    }
    setOwn(out, name, child);
  }
  return out;
}

// The config loader over hostile text: the valid configs people copy (examples/keel.yaml, the
// complete and the smallest example in docs/config.md, and every normalisation key) mutated as documents — keys deleted,
// renamed or injected, values swapped for other types, sections moved where they do not belong,
// random unicode — and as lines (recombined, re-indented), plus arbitrary unicode text. Whatever
// comes in, loadConfigText returns a compiled plan or errors at file:line:col; it never throws and
// never falls back to its internal-error message. (test/config/fuzz.test.ts splices text fragments
// into one config; this file mutates structure.)

import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { parse, stringify } from "yaml";
import { loadConfigText } from "../../src/config/load.ts";
import { Router } from "../../src/router/router.ts";
import { fuzzParams, fuzzTimeout } from "./fuzz-runs.ts";

const FILE = "mutated.yaml";
const ENV = { X: "1", PORT: "0" };

const root = join(import.meta.dir, "../..");
const configDoc = readFileSync(join(root, "docs/config.md"), "utf8");
/** Every normalisation, validation and aggregation key of docs/normalize.md in one valid config. */
const NORMALIZE_BASE = `server:
  normalize: { path: { mergeSlashes: true, encodedSlash: reject, backslash: keep, nul: reject } }
upstreams:
  backend: { endpoints: ["http://127.0.0.1:9001"] }
routes:
  - name: users
    match: { pathPrefix: /users }
    upstream: backend
    normalize:
      path: { mergeSlashes: false, encodedSlash: keep }
      query: { sort: true, drop: [utm_source], allow: [page, size], repeated: last }
      response:
        json:
          rename: { user_name: userName, "items[].created_at": "items[].createdAt" }
          lowercase: [ email ]
          coerce: { score: number, active: boolean }
          omit: [ password_hash ]
          keys: camelCase
          dates: { created: rfc3339 }
          defaults: { tags: [] }
          maxBytes: 4kb
          maxDepth: 8
        headers: { set: { x-served-by: "keel/{route}" }, removeServerHeaders: true, canonicalContentType: true }
        errors: problem
  - name: orders
    match: { path: /orders/:id, methods: [POST, PUT] }
    upstream: backend
    validate:
      body: { type: object, required: [sku, qty], properties: { sku: { type: string }, qty: { type: integer, minimum: 1 } } }
      params: { type: object, properties: { id: { type: integer } } }
      query: { type: object, properties: { dryRun: { type: boolean } } }
    normalize:
      request:
        json: { keys: snake_case, coerce: { qty: integer }, maxBytes: 1kb, maxDepth: 4 }
        headers:
          set: { x-route: "{route}", x-order: "{param.id}", x-user: "{header.x-user}" }
          add: { x-tag: keel }
          remove: [ cookie ]
          rename: { x-old: x-new }
  - name: profile
    match: { path: /profile/:id, methods: [GET] }
    aggregate:
      calls:
        user: { upstream: backend, path: "/users/{param.id}" }
        orders: { upstream: backend, path: "/orders?user={param.id}" }
      merge: keys
      onPartialFailure: partial
`;

const BASE_TEXTS = [
  readFileSync(join(root, "examples/keel.yaml"), "utf8"),
  // The first two yaml blocks of docs/config.md are the complete and the smallest example.
  ...[...configDoc.matchAll(/```yaml\n([\s\S]*?)```/g)].slice(0, 2).map((m) => m[1]!),
  NORMALIZE_BASE,
];

/** ${VAR:-default} → default, ${VAR} → "1": the documents as the loader would see them. */
function withDefaults(text: string): string {
  return text.replace(/\$\{\w+(?::-([^}]*))?\}/g, (_, d: string | undefined) => d ?? "1");
}
const BASES: unknown[] = BASE_TEXTS.map((t) => parse(withDefaults(t)));
const BASE_LINES = BASE_TEXTS.flatMap((t) => t.split("\n"));

/** Every key the bases use: mutations rename to and inject them, so type confusion meets real keys. */
const KEYS = [...new Set(BASES.flatMap((b) => keysOf(b)))];
function keysOf(v: unknown): string[] {
  if (Array.isArray(v)) return v.flatMap(keysOf);
  if (typeof v === "object" && v !== null) return Object.entries(v).flatMap(([k, c]) => [k, ...keysOf(c)]);
  return [];
}

/** What a confused or hostile author writes where a value goes. */
const swapValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, 2 ** 53, Number.POSITIVE_INFINITY, Number.NaN, "", "0", "10ms", "-1s", "0s", "1kb", "9999999999gb",
    "1e400", "http://", "http://127.0.0.1:0", "https://[::1]:99999", "/", "/:", "/a/:id", "/a/../b", "GET", "get", "*", "${X}", "${MISSING}", "$${X}", "~", "null",
    "__proto__", "constructor", "camelCase", "problem", "p2c", [], {}, [[]], { "": null }),
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 8 }),
  fc.jsonValue({ maxDepth: 2 }),
  fc.integer(),
  fc.double(),
);
const anyKey = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...KEYS) },
  { weight: 1, arbitrary: fc.constantFrom("__proto__", "constructor", "prototype", "<<", "", " ", "name ", "ROUTES") },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 8 }) },
);

type Mutation =
  | { kind: "delete" | "wrap"; at: number }
  | { kind: "replace"; at: number; value: unknown }
  | { kind: "rename" | "inject"; at: number; key: string; value: unknown }
  | { kind: "move"; at: number; from: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constantFrom("delete" as const, "wrap" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), value: swapValue }),
  fc.record({ kind: fc.constantFrom("rename" as const, "inject" as const), at: fc.nat(), key: anyKey, value: swapValue }),
  fc.record({ kind: fc.constant("move" as const), at: fc.nat(), from: fc.nat() }),
);

type Container = Record<string, unknown> | unknown[];
interface Slot {
  readonly parent: Container;
  readonly key: string | number;
}

/** Every (parent, key) in the tree, depth first. */
function slots(v: unknown, out: Slot[] = []): Slot[] {
  if (Array.isArray(v)) v.forEach((c, i) => (out.push({ parent: v, key: i }), slots(c, out)));
  else if (typeof v === "object" && v !== null) for (const [k, c] of Object.entries(v)) out.push({ parent: v as Record<string, unknown>, key: k }), slots(c, out);
  return out;
}

/** An own property even for "__proto__" (plain assignment would set the prototype). */
function put(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

function apply(doc: unknown, ms: readonly Mutation[]): unknown {
  for (const m of ms) {
    const all = slots(doc);
    if (all.length === 0) return m.kind === "replace" ? m.value : doc;
    const { parent, key } = all[m.at % all.length]!;
    const here = (parent as Record<string | number, unknown>)[key];
    const set = (v: unknown) => (Array.isArray(parent) ? (parent[key as number] = v) : put(parent, key as string, v));
    switch (m.kind) {
      case "delete":
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key as string];
        break;
      case "wrap":
        set(m.at % 2 === 0 ? [here] : { value: here });
        break;
      case "replace":
        set(structuredClone(m.value));
        break;
      case "rename":
        if (!Array.isArray(parent)) {
          delete parent[key as string];
          put(parent, m.key, here);
        }
        break;
      case "inject":
        if (Array.isArray(here)) here.push(structuredClone(m.value));
        else if (typeof here === "object" && here !== null) put(here as Record<string, unknown>, m.key, structuredClone(m.value));
        else set({ [m.key]: structuredClone(m.value) });
        break;
      case "move": {
        // A section where another belongs: a route where an upstream goes, a policy as a path...
        const other = all[m.from % all.length]!;
        set(structuredClone((other.parent as Record<string | number, unknown>)[other.key]));
        break;
      }
    }
  }
  return doc;
}

function lineCount(text: string): number {
  return text.split(/\r\n|\r|\n/).length;
}

/** The loader's contract, for any text. */
function check(text: string): void {
  const r = loadConfigText(text, FILE, ENV);
  if (r.ok) {
    expect(r.plan.routes.length).toBeGreaterThan(0);
    // A compiled plan routes: build its router and ask it once.
    new Router(r.plan.routes).match({ method: "GET", host: "", path: "/", headers: new Headers() });
    return;
  }
  expect(r.errors.length).toBeGreaterThan(0);
  for (const e of r.errors) {
    expect(e.file).toBe(FILE);
    expect(Number.isInteger(e.line) && e.line >= 1 && e.line <= lineCount(text) + 1).toBe(true);
    expect(Number.isInteger(e.col) && e.col >= 1).toBe(true);
    expect(e.message.trim().length).toBeGreaterThan(0);
    expect(e.message).not.toStartWith("internal error");
  }
}

describe("config loader fuzzing", () => {
  test("the bases, as parsed and written back, load (so mutations start from a plan)", () => {
    for (const b of BASES) {
      const r = loadConfigText(stringify(b), FILE, ENV);
      expect(r.ok ? [] : r.errors.map((e) => e.message)).toEqual([]);
    }
  });

  const DOC_RUNS = 200;
  test(`mutated documents (${DOC_RUNS} runs): a plan or positioned errors, never a throw`, () => {
    const base = fc.nat(BASES.length - 1);
    const asJson = fc.boolean();
    fc.assert(
      fc.property(base, fc.array(mutation, { minLength: 1, maxLength: 5 }), asJson, (b, ms, json) => {
        const doc = apply(structuredClone(BASES[b]), ms);
        // JSON is YAML too, and reaches the loader's other paths (flow style, no anchors).
        const text = json ? (JSON.stringify(doc) ?? "") : (stringify(doc) ?? "");
        check(text);
      }),
      fuzzParams(DOC_RUNS),
    );
  }, fuzzTimeout(DOC_RUNS));

  const LINE_RUNS = 150;
  test(`recombined lines (${LINE_RUNS} runs): base lines in any order, re-indented, with unicode spliced in`, () => {
    const line = fc.record({ at: fc.nat(BASE_LINES.length - 1), indent: fc.integer({ min: -4, max: 4 }), splice: fc.option(fc.string({ unit: "grapheme", maxLength: 4 }), { freq: 4 }) });
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 40 }), (ls) => {
        const text = ls
          .map(({ at, indent, splice }) => {
            let l = BASE_LINES[at]!;
            l = indent >= 0 ? " ".repeat(indent) + l : l.slice(Math.min(-indent, l.length - l.trimStart().length));
            if (splice !== null) l = l.slice(0, at % (l.length + 1)) + splice + l.slice(at % (l.length + 1));
            return l;
          })
          .join("\n");
        check(text);
      }),
      fuzzParams(LINE_RUNS),
    );
  }, fuzzTimeout(LINE_RUNS));

  const TEXT_RUNS = 200;
  test(`arbitrary unicode text (${TEXT_RUNS} runs)`, () => {
    const yamlish = fc.constantFrom(":", ": ", "- ", "\n", "\n  ", "{", "}", "[", "]", "&a", "*a", "!!", "#", '"', "'", "|", ">", "${", "}", "---", "\t", "\r");
    const text = fc.oneof(
      fc.string({ unit: "grapheme", maxLength: 200 }),
      fc.array(fc.oneof(yamlish, fc.string({ unit: "grapheme", maxLength: 6 })), { maxLength: 60 }).map((ps) => ps.join("")),
    );
    fc.assert(fc.property(text, check), fuzzParams(TEXT_RUNS));
  }, fuzzTimeout(TEXT_RUNS));
});

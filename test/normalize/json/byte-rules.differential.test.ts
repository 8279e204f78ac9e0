// The byte path of the JSON rules (compileByteRules) against the tree path (parseJsonBody →
// compileJsonRules → serializeJson): whenever the byte path returns bytes they are exactly the
// tree path's bytes, and the tree path succeeded; null (fall back) is always allowed, a throw
// never. Bodies and rules share a small key vocabulary so the rules actually meet the bodies;
// bodies arrive compact, pretty, with random whitespace, non-canonical strings and numbers, a
// BOM, duplicate keys, mutated bytes, and under tight size and depth caps. The byte path must
// also be TAKEN for ordinary bodies (hit-rate assertions), or none of this could fail.

import { afterAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { compileByteRules } from "../../../src/normalize/json/bytes/compile-byte-rules.ts";
import { checkJsonRules, compileJsonRules, type JsonLimits, type JsonRulesConfig } from "../../../src/normalize/json/compile-json-rules.ts";
import { EXAMPLE_JSON_RULES } from "../../../src/normalize/json/example-rules.ts";
import { parseJsonBody } from "../../../src/normalize/json/parse-json-body.ts";
import { serializeJson } from "../../../src/normalize/json/serialize-json.ts";
import { fuzzParams, fuzzTimeout } from "../../fuzz/fuzz-runs.ts";
import { mulberry32 } from "../../../bench/lib/mulberry32.ts"; // seeded by fast-check: a failure replays

const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const BIG: JsonLimits = { maxBytes: 1 << 22, maxDepth: 64 };

// ---------------------------------------------------------------------------------------------
// The oracle and the check

/** The tree path's output bytes, or null when parsing or the rules fail. */
function treeBytes(config: JsonRulesConfig, bytes: Uint8Array, limits: JsonLimits): Uint8Array | null {
  const parsed = parseJsonBody(bytes, limits);
  if (!parsed.ok) return null;
  const result = compileJsonRules(config)(parsed.value);
  return result.ok ? serializeJson(result.value) : null;
}

/** Bytes as a JS literal a reproducer can paste: a string when valid UTF-8, else a byte list. */
function literal(bytes: Uint8Array | null): string {
  if (bytes === null) return "null";
  try {
    return JSON.stringify(strictUtf8.decode(bytes));
  } catch {
    return `new Uint8Array([${Array.from(bytes).join(",")}])`;
  }
}

type Outcome = { fast: boolean; treeOk: boolean };

/**
 * The differential check. `transform` defaults to a fresh compileByteRules(config) (pass one to
 * reuse a compiled transform across bodies). The byte path must not change its input either: on
 * null the caller falls back to the tree path over the very same bytes.
 */
function check(config: JsonRulesConfig, bytes: Uint8Array, limits: JsonLimits, transform = compileByteRules(config)): Outcome {
  const original = bytes.slice();
  const fast = transform === null ? null : transform(bytes, limits);
  const tree = treeBytes(config, original, limits);
  const where = () =>
    `\n  config: ${JSON.stringify(config)}\n  limits: ${JSON.stringify(limits)}\n  input:  ${literal(original)}\n  tree:   ${literal(tree)}\n  fast:   ${literal(fast)}`;
  if (!Buffer.from(bytes).equals(Buffer.from(original))) throw new Error(`the byte path changed its input bytes (now ${literal(bytes)})${where()}`);
  if (fast !== null) {
    if (!(fast instanceof Uint8Array)) throw new Error(`the byte path returned a ${typeof fast}, not a Uint8Array${where()}`);
    if (tree === null) throw new Error(`the byte path returned bytes where the tree path fails${where()}`);
    if (!Buffer.from(fast).equals(Buffer.from(tree))) throw new Error(`the byte path differs from the tree path${where()}`);
  }
  return { fast: fast !== null, treeOk: tree !== null };
}

/** Hit counters: fast-path results over bodies the tree path accepts. */
class HitRate {
  hits = 0;
  treeOk = 0;
  total = 0;
  add(o: Outcome): void {
    this.total++;
    if (o.treeOk) this.treeOk++;
    if (o.fast) this.hits++;
  }
  get rate(): number {
    return this.treeOk === 0 ? 0 : this.hits / this.treeOk;
  }
  toString(): string {
    return `${this.hits}/${this.treeOk} tree-ok bodies took the byte path (${(100 * this.rate).toFixed(1)}%; ${this.total} bodies in all)`;
  }
}
const rates = new Map<string, HitRate>();
function rate(name: string): HitRate {
  const r = new HitRate();
  rates.set(name, r);
  return r;
}
afterAll(() => {
  for (const [name, r] of rates) console.log(`byte path hit rate, ${name}: ${r}`);
});

// ---------------------------------------------------------------------------------------------
// Bodies

/** Keys the bodies and the rules share, plus the dangerous and odd ones. */
const KEYS = [
  "user_name", "userName", "email", "score", "active", "created", "password_hash", "tags", "items", "created_at", "createdAt",
  "meta", "v", "ID", "__proto__", "constructor", "a-b", "_x", "x_", "XMLHttpRequest", "é_clé", "a\u0000b", '"q"', "back\\slash",
];
/** Names Object.keys lists first (array indices), or that recasing turns into one, and near misses (rarer: not ordinary bodies). */
const INDEX_KEYS = ["0", "7", "1_2", "01", "4294967294", "4294967295", "-1"];

/** An object with own properties only, whatever the keys ("__proto__" stays an own key). */
function objectOf(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const obj: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(obj, k, { value: v, writable: true, enumerable: true, configurable: true });
  return obj;
}

/** Keys of ordinary bodies (the hit-rate properties), and of any body (index keys and random text too). */
const ordinaryKey = fc.constantFrom(...KEYS);
const anyKey = fc.oneof({ weight: 8, arbitrary: ordinaryKey }, { weight: 1, arbitrary: fc.constantFrom(...INDEX_KEYS) }, { weight: 1, arbitrary: fc.string({ maxLength: 4 }) });

const STRINGS = [
  "", "x", "Ann@X.org", "ÉCOLE@EXAMPLE.COM", "İSTANBUL", "STRASSE ß", "ΣΊΣΥΦΟΣ", "42", "4.5", "-1e3", "4.0", " 1", "0x10", "Infinity",
  "true", "false", "1", "0", "yes", "TRUE", "9007199254740993", "1e21", "2024-05-01T12:30:00+02:00", "2024-05-01T10:30:00.5Z",
  "2024-05-01", "2024-05-01 10:30", "Wed, 01 May 2024 10:30:00 GMT", "1 May 2024 12:30 +0200", "Wednesday, 01-May-24 10:30:00 GMT",
  "Wed May  1 10:30:00 2024", "2024-04-31", "2024-05-01T24:00:00Z", "a/b", "http://x/y", '"quoted"', "back\\slash", "tab\there",
  "line\nbreak", "nul\u0000", "\u001f", "\u007f", "\u2028\u2029", "lone \ud800", "\udfff lone", "pair \ud83d\ude00", "é", "e\u0301",
];
const CHARS = ["a", "Z", "é", "É", "İ", "ß", "ﬀ", "Σ", "/", "\\", '"', "\u0000", "\u0008", "\u001f", "\u007f", "\u0080", "\u2028", "\ud800", "\udfff", "\ud83d\ude00", "\n", "\t", " ", "1", "-"];
const text = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...STRINGS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 6, unit: "binary" }) },
  { weight: 2, arbitrary: fc.array(fc.constantFrom(...CHARS), { maxLength: 6 }).map((cs) => cs.join("")) },
);

const NUMBERS = [
  0, -0, 1, -1, 42, 4.5, 0.1, 1e21, 1.5e-7, 1e-7, 2 ** 53, 2 ** 53 + 2, -(2 ** 53 - 1), 12345678901234567890, 1e11, 1714559400,
  1714559400000, 1714559400.5, -1000, 5e-324, 1.7976931348623157e308, 123.456, 1e300,
];
const number = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NUMBERS) },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 2, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
);

const scalar = fc.oneof({ weight: 4, arbitrary: text }, { weight: 3, arbitrary: number }, { weight: 1, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constant(null) });

/** JSON values over the given keys; objects lean towards the shapes the rules name (items[] of objects, meta, tags). */
function values(key: fc.Arbitrary<string>) {
  return fc.letrec((tie) => ({
    json: fc.oneof({ depthSize: "small", maxDepth: 5, withCrossShrink: true }, scalar, tie("array"), tie("object")),
    array: fc.array(tie("json"), { maxLength: 4 }),
    object: fc
      .array(
        fc.oneof(
          { weight: 6, arbitrary: fc.tuple(key, tie("json")) },
          { weight: 1, arbitrary: fc.tuple(fc.constant("items"), fc.array(tie("object"), { maxLength: 3 })) },
          { weight: 1, arbitrary: fc.tuple(fc.constant("meta"), tie("object")) },
          { weight: 1, arbitrary: fc.tuple(fc.constant("tags"), fc.array(text, { maxLength: 3 })) },
        ),
        { maxLength: 6 },
      )
      .map(objectOf),
  }));
}

/** Mostly objects at the top (the rules have something to act on), sometimes an array or a scalar. */
function bodies(key: fc.Arbitrary<string>): fc.Arbitrary<unknown> {
  const { json, object } = values(key);
  return fc.oneof({ weight: 6, arbitrary: object as fc.Arbitrary<unknown> }, { weight: 2, arbitrary: fc.array(object, { maxLength: 3 }) }, { weight: 1, arbitrary: json });
}
/** Bodies over the shared vocabulary only. */
const body = bodies(ordinaryKey);
/** Bodies that may also hold array-index keys and random keys. */
const anyBody = bodies(anyKey);

/** Example-rules-shaped bodies (bench/lib/json-bodies.ts's shape), with the values varied. */
const userLike = fc
  .record({
    user_id: fc.oneof(fc.integer(), fc.constant(42)),
    user_name: fc.oneof(fc.constant("Ada Lovelace"), text),
    email: fc.oneof(fc.constant("Ada.Lovelace@Example.COM"), text, fc.constant(null)),
    score: fc.oneof(fc.constantFrom("98.5", "42", "-1e3", "0", 98.5, null), number),
    active: fc.constantFrom("true", "false", "1", "0", 1, 0, true, false, null),
    password_hash: fc.constant("$2b$12$abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUV012345"),
    created: fc.constantFrom(1700000000, 1714559400000, "2024-05-01", "2024-05-01T12:30:00+02:00", "Wed, 01 May 2024 10:30:00 GMT", null),
    home_address: fc.constant({ street_name: "St James's Square", postal_code: "SW1Y 4LE", country_code: "GB" }),
    items: fc.array(
      fc.record({ item_id: fc.nat(), item_name: text, unit_price: number, created_at: fc.constantFrom("2024-01-01T10:00:00Z", "2024-05-01", 1700000000, null) }, { requiredKeys: ["item_id"] }),
      { maxLength: 6 },
    ),
    tags: fc.array(text, { maxLength: 3 }),
  }, { requiredKeys: ["user_id", "user_name", "email", "items"] });

// ---------------------------------------------------------------------------------------------
// Serialisations


interface Style {
  readonly ws: boolean; // random whitespace between tokens
  readonly escapes: boolean; // \uXXXX (either case), "\/", escaped surrogate pairs
  readonly numbers: boolean; // "1.0", "1E2", "-0", "0.10", "1e400", huge integers...
  readonly bom: boolean;
  readonly dups: boolean; // repeated keys
}
const style = fc.record({ ws: fc.boolean(), escapes: fc.boolean(), numbers: fc.boolean(), bom: fc.boolean(), dups: fc.constant(false) });

const RAW_NUMBERS = ["1e400", "-1e400", "1e-400", "12345678901234567890", "123456789012345678901234567890.5", "0.10", "1E2", "1e+2", "-0", "-0.0", "1.0", "0.000001", "1e-7", "5e-324", "9007199254740993", "1.7976931348623157e308", "100e-2"];

/** Writes JSON text for `value` the way some other serialiser might. */
function write(value: unknown, s: Style, seed: number): Uint8Array {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const ws = (): string => (s.ws && rnd() < 0.5 ? Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => pick([" ", "\t", "\r", "\n"])).join("") : "");
  const hex = (c: number): string => {
    const h = c.toString(16).padStart(4, "0");
    return "\\u" + (rnd() < 0.5 ? h.toUpperCase() : h);
  };
  const str = (v: string): string => {
    let out = '"';
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      const next = v.charCodeAt(i + 1);
      const esc = s.escapes && rnd() < 0.3;
      if (c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        out += esc ? hex(c) + hex(next) : v[i]! + v[i + 1]!;
        i++;
      } else if (c >= 0xd800 && c <= 0xdfff) out += hex(c); // a lone surrogate has no UTF-8 form
      else if (c === 0x22) out += esc ? hex(c) : '\\"';
      else if (c === 0x5c) out += esc ? hex(c) : "\\\\";
      else if (c === 0x2f) out += esc ? "\\/" : "/";
      else if (c < 0x20) out += esc ? hex(c) : JSON.stringify(v[i]).slice(1, -1);
      else out += esc ? hex(c) : v[i];
    }
    return out + '"';
  };
  const num = (n: number): string => {
    const canonical = JSON.stringify(n);
    if (!s.numbers || rnd() < 0.4) return canonical;
    if (rnd() < 0.15) return pick(RAW_NUMBERS);
    if (Object.is(n, -0) || n === 0) return pick(["-0", "-0.0", "0.0", "0e0", "-0E+5", "0.000"]);
    if (Number.isInteger(n) && Math.abs(n) < 1e21) return pick([`${canonical}.0`, `${canonical}E0`, `${canonical}e+0`, `${canonical}.00e-0`, `${canonical}0e-1`]);
    if (canonical.includes("e")) return pick([canonical.replace("e", "E"), canonical.replace("e+", "e")]);
    return pick([canonical + "0", canonical + "e0", n.toExponential()]);
  };
  const val = (v: unknown, depth: number): string => {
    if (v === null) return "null";
    if (typeof v === "boolean") return String(v);
    if (typeof v === "number") return num(v);
    if (typeof v === "string") return str(v);
    if (Array.isArray(v)) return "[" + ws() + v.map((x) => val(x, depth + 1)).join(ws() + "," + ws()) + ws() + "]";
    const entries: [string, unknown][] = Object.entries(v as object);
    if (s.dups && entries.length > 0 && rnd() < 0.6) {
      // Repeat a key (written independently, so escaping may differ) with another value, anywhere.
      const [k] = pick(entries);
      const other = rnd() < 0.5 ? pick(entries)[1] : pick([null, 1, "dup", [], {}, true, "42"]);
      entries.splice(Math.floor(rnd() * (entries.length + 1)), 0, [k, other]);
    }
    return "{" + ws() + entries.map(([k, x]) => str(k) + ws() + ":" + ws() + val(x, depth + 1)).join(ws() + "," + ws()) + ws() + "}";
  };
  const textOut = ws() + val(value, 0) + ws();
  const bytes = encoder.encode(textOut);
  return s.bom ? new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]) : bytes;
}

const compact = (v: unknown): Uint8Array => encoder.encode(JSON.stringify(v));
const pretty = (v: unknown): Uint8Array => encoder.encode(JSON.stringify(v, null, 2));

// ---------------------------------------------------------------------------------------------
// Rule configs

const PREFIXES = ["", "", "", "", "items[].", "items[].", "meta.", "[].", "items[].meta."];
const ruleKey = fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...KEYS) }, { weight: 1, arbitrary: fc.constantFrom(...INDEX_KEYS) });
const fieldPath = fc.tuple(fc.constantFrom(...PREFIXES), ruleKey).map(([p, k]) => p + k);
const elementPath = fc.constantFrom("tags[]", "items[]", "[]", "items[].tags[]", "m[][]");
const conversionPath = fc.oneof({ weight: 6, arbitrary: fieldPath }, { weight: 1, arbitrary: elementPath });
const renameEntry = fc
  .tuple(fc.constantFrom(...PREFIXES), ruleKey, fc.oneof(ruleKey, fc.constantFrom("title", "renamed", "ID", "0", "4294967295")), fc.boolean())
  .map(([p, from, to, full]) => [p + from, full ? p + to : to] as const);
const DEFAULT_VALUES: readonly unknown[] = [[], {}, null, 1, "x", { v: 1 }];
const defaultEntry = fc.tuple(
  fc.oneof({ weight: 2, arbitrary: fc.constantFrom("tags", "meta", "meta.v", "items[].tags", "isAdmin", "items[].meta") }, { weight: 3, arbitrary: fieldPath }),
  fc.constantFrom(...DEFAULT_VALUES),
);

const anyConfig: fc.Arbitrary<JsonRulesConfig> = fc.record(
  {
    omit: fc.array(fieldPath, { minLength: 1, maxLength: 2 }),
    lowercase: fc.array(conversionPath, { minLength: 1, maxLength: 2 }),
    coerce: fc.array(fc.tuple(conversionPath, fc.constantFrom("number", "integer", "boolean", "string")), { minLength: 1, maxLength: 2 }).map(objectOf),
    dates: fc.array(fc.tuple(conversionPath, fc.constantFrom("rfc3339", "epoch-ms", "epoch-s")), { minLength: 1, maxLength: 2 }).map(objectOf),
    rename: fc.array(renameEntry, { minLength: 1, maxLength: 3 }).map(objectOf),
    keys: fc.constantFrom("camelCase", "snake_case"),
    defaults: fc.array(defaultEntry, { minLength: 1, maxLength: 3 }).map(objectOf),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<JsonRulesConfig>;

/** Configs checkJsonRules accepts, plus the example rules and the empty config. */
const config: fc.Arbitrary<JsonRulesConfig> = fc.oneof(
  { weight: 8, arbitrary: anyConfig.filter((c) => checkJsonRules(c).length === 0) },
  { weight: 1, arbitrary: fc.constant(EXAMPLE_JSON_RULES) },
  { weight: 1, arbitrary: fc.constant({}) },
);

const seed = fc.noShrink(fc.integer());

/** fuzzParams, with the check's own message (config, input, tree and fast bytes) in the report. */
const params = <T>(runs: number): fc.Parameters<T> => ({ ...fuzzParams<T>(runs), includeErrorInReport: true });

// ---------------------------------------------------------------------------------------------
// Properties

describe("byte path ≡ tree path", () => {
  test("compact JSON.stringify bodies (byte path taken for most)", () => {
    const r = rate("compact");
    fc.assert(
      fc.property(config, body, (cfg, v) => {
        r.add(check(cfg, compact(v), BIG));
      }),
      params(400),
    );
    expect(r.rate).toBeGreaterThan(0.5);
  }, fuzzTimeout(400));

  test("pretty-printed bodies (indent 2; byte path taken for most)", () => {
    const r = rate("pretty");
    fc.assert(
      fc.property(config, body, (cfg, v) => {
        r.add(check(cfg, pretty(v), BIG));
      }),
      params(300),
    );
    expect(r.rate).toBeGreaterThan(0.5);
  }, fuzzTimeout(300));

  test("the example rules on example-shaped bodies, compact and pretty (byte path taken for most)", () => {
    const r = rate("example rules, user-like");
    fc.assert(
      fc.property(userLike, fc.boolean(), (v, indent) => {
        r.add(check(EXAMPLE_JSON_RULES, indent ? pretty(v) : compact(v), BIG));
      }),
      params(300),
    );
    expect(r.rate).toBeGreaterThan(0.5);
  }, fuzzTimeout(300));

  test("random whitespace, \\u escapes, \\/, escaped surrogate pairs, non-canonical numbers, BOM (no duplicate keys)", () => {
    const r = rate("non-canonical text");
    fc.assert(
      fc.property(config, fc.oneof(anyBody, userLike), style, seed, (cfg, v, s, sd) => {
        r.add(check(cfg, write(v, s, sd), BIG));
      }),
      params(400),
    );
  }, fuzzTimeout(400));

  test("duplicate keys (written alike or escaped differently): null or the tree's output (last one wins)", () => {
    const r = rate("duplicate keys");
    fc.assert(
      fc.property(config, fc.oneof(anyBody, userLike), style, seed, (cfg, v, s, sd) => {
        r.add(check(cfg, write(v, { ...s, dups: true }, sd), BIG));
      }),
      params(300),
    );
  }, fuzzTimeout(300));

  test("hostile bytes: a valid body with bytes deleted, inserted, replaced or cut never makes the byte path wrong or throw", () => {
    const POOL: readonly (readonly number[])[] = [
      ..."{}[]\",:\\ 0-.etnfu/Eb\t\r\n+".split("").map((c) => [c.charCodeAt(0)]),
      [0x00], [0x1f], [0x7f], [0x80], [0xbf], [0xc0], [0xc3], [0xc3, 0xa9], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xef, 0xbb, 0xbf], [0xff],
      [0x5c, 0x75], [0x5c, 0x75, 0x64, 0x38, 0x30, 0x30], [0x22, 0x3a], [0x2c, 0x22],
    ];
    const mutation = fc.tuple(fc.constantFrom("delete", "insert", "replace", "truncate"), fc.nat(), fc.constantFrom(...POOL));
    const r = rate("hostile bytes");
    fc.assert(
      fc.property(config, fc.oneof(anyBody, userLike), style, seed, fc.array(mutation, { minLength: 1, maxLength: 3 }), (cfg, v, s, sd, muts) => {
        let bytes = Array.from(write(v, s, sd));
        for (const [op, at, with_] of muts) {
          const i = bytes.length === 0 ? 0 : at % (bytes.length + (op === "insert" ? 1 : 0));
          if (op === "delete") bytes.splice(i, 1);
          else if (op === "insert") bytes.splice(i, 0, ...with_);
          else if (op === "replace") bytes.splice(i, 1, ...with_);
          else bytes = bytes.slice(0, i);
        }
        r.add(check(cfg, new Uint8Array(bytes), BIG));
      }),
      params(600),
    );
  }, fuzzTimeout(600));

  test("size and depth caps: random maxDepth 1..8 and maxBytes around the body size", () => {
    const r = rate("caps");
    fc.assert(
      fc.property(config, fc.oneof(anyBody, userLike), style, seed, fc.integer({ min: 1, max: 8 }), fc.integer({ min: -12, max: 12 }), (cfg, v, s, sd, maxDepth, slack) => {
        const bytes = write(v, s, sd);
        r.add(check(cfg, bytes, { maxDepth, maxBytes: Math.max(0, bytes.length + slack) }));
      }),
      params(400),
    );
  }, fuzzTimeout(400));

  test("large bodies under rules that grow them (dates, snake_case, long defaults, İ lower-cased): the scratch buffer grows right", () => {
    const growing: JsonRulesConfig = {
      dates: { "[].d": "rfc3339", "[].items[].created_at": "rfc3339" },
      lowercase: ["[].s"],
      keys: "snake_case",
      defaults: { "[].tags": ["x".repeat(300)], "[].items[].meta": { long_value: "é".repeat(100) } },
    };
    const element = fc.record(
      {
        d: fc.constantFrom(0, 1714559400, null),
        s: fc.constantFrom("İİİİİİİİ", "ΑΒΓ", "abc", "x".repeat(200)),
        aBcDeFgHiJ: fc.constant(1),
        items: fc.array(fc.record({ created_at: fc.constantFrom(0, "2024-05-01") }), { maxLength: 3 }),
      },
      { requiredKeys: [] },
    );
    const r = rate("large growing bodies");
    fc.assert(
      fc.property(fc.array(element, { maxLength: 1200, size: "max" }), fc.boolean(), (list, indent) => {
        r.add(check(growing, indent ? pretty(list) : compact(list), BIG));
      }),
      params(15),
    );
    expect(r.rate).toBeGreaterThan(0.5);
  }, fuzzTimeout(15));

  test("one compiled transform across many bodies: no state leaks between calls, and an earlier result is not overwritten", () => {
    fc.assert(
      fc.property(config, fc.array(fc.tuple(fc.oneof(anyBody, userLike), style, seed), { minLength: 2, maxLength: 4 }), (cfg, bodies) => {
        const transform = compileByteRules(cfg);
        if (transform === null) return;
        const inputs = bodies.map(([v, s, sd]) => write(v, s, sd));
        const results = inputs.map((bytes) => {
          check(cfg, bytes, BIG, transform);
          const out = transform(bytes, BIG);
          return out === null ? null : { out, copy: out.slice() };
        });
        for (const [i, r] of results.entries()) {
          if (r !== null && !Buffer.from(r.out).equals(Buffer.from(r.copy))) {
            throw new Error(`result ${i} changed after later calls of the same transform:\n  config: ${JSON.stringify(cfg)}\n  input:  ${literal(inputs[i]!)}\n  first:  ${literal(r.copy)}\n  now:    ${literal(r.out)}`);
          }
        }
      }),
      params(200),
    );
  }, fuzzTimeout(200));

  test("one transform over runs of bodies sharing keys: each the tree's bytes, whatever came before", () => {
    const r = rate("runs of bodies, one transform");
    const runStyle = fc.record({ ws: fc.boolean(), escapes: fc.boolean(), numbers: fc.boolean(), bom: fc.constant(false), dups: fc.boolean() });
    fc.assert(
      fc.property(config, fc.array(fc.tuple(fc.oneof(body, userLike, fc.array(userLike, { maxLength: 3 })), runStyle, seed), { minLength: 4, maxLength: 10 }), (cfg, run) => {
        const transform = compileByteRules(cfg);
        if (transform === null) return;
        for (const [v, st, sd] of run) r.add(check(cfg, write(v, st, sd), BIG, transform));
      }),
      params(300),
    );
    expect(r.rate).toBeGreaterThan(0.5);
  }, fuzzTimeout(300));

  test("one transform over bodies whose keys start like the last one's, are spelt with escapes, repeat or change order", () => {
    const cfgs: JsonRulesConfig[] = [EXAMPLE_JSON_RULES, {}, { keys: "snake_case" }, { omit: ["a"], rename: { b: "a_b" }, defaults: { c: 1 } }];
    const run = [
      `{"user_name":"A","email":"X@Y","a":1,"b":2,"items":[{"created_at":1},{"created_at":2}]}`,
      `{"user_name":"A","email":"X@Y","a":1,"b":2,"items":[{"created_at":1},{"created_at":2}]}`,
      `{"user_nam":"A","emailx":"X@Y","a":1,"bb":2,"items":[{"created":1},{"created_at_":2}]}`,
      `{"user\u005fname":"A","email":"X@Y","\u0061":1,"b":2,"items":[{"created_at":1,"created\u005fat":2}]}`,
      `{"user_name":"A","user_name":"B","a":1,"a":2}`,
      `{"b":2,"a":1,"email":"X@Y","user_name":"A","items":[{"created_at":1,"x":0},{"x":0,"created_at":2}]}`,
      `{"":1,"user_name":"A","":2}`,
      `{"user_name":"A","email":"X@Y","a":1,"b":2,"c":3,"items":[]}`,
      `{"user_name" : "A" , "email":"X@Y","a":1,"b":2}`,
      `{"user_name":"A","email":"X@Y","a":1,"b":2,"items":[{"created_at":1},{"created_at":2}]}`,
    ];
    for (const cfg of cfgs) {
      const transform = compileByteRules(cfg);
      expect(transform).not.toBeNull();
      for (let round = 0; round < 2; round++) for (const body of run) check(cfg, new TextEncoder().encode(body), BIG, transform!);
    }
  });

  test("configs checkJsonRules refuses (the loader never compiles them) still never throw nor give wrong bytes", () => {
    fc.assert(
      fc.property(anyConfig, fc.oneof(anyBody, userLike), style, seed, (cfg, v, s, sd) => {
        check(cfg, write(v, s, sd), BIG);
      }),
      params(200),
    );
  }, fuzzTimeout(200));
});

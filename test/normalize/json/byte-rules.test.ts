// The byte path of the JSON rules (compileByteRules) case by case, against the tree path
// (parseJsonBody → compileJsonRules → serializeJson). Three kinds of row:
//   taken   an ordinary body: the byte path must NOT fall back (null), and its bytes are the tree's
//   either  null (fall back) is fine, but bytes, when returned, are exactly the tree's
//   fails   the tree path fails (bad JSON, caps, a failing conversion): the byte path must say null
// Where a row gives the expected output text, the tree path is checked against it too (so the
// rows restate the reference at the top of src/normalize/json/compile-json-rules.ts).
//
// Ordinary (taken): the example rules on bench bodies (compact, pretty); every "A → B" example of
// the reference except the collisions; conversions that succeed; \u00e9 / \/ escapes; common
// non-canonical numbers; key case conversions; nested and per-element defaults; renames keeping
// their place. Fallback allowed (either): duplicate keys, key collisions after rename or keys, a
// conversion meeting an object or array, "__proto__" keys, lone surrogates.

import { describe, expect, test } from "bun:test";
import { JSON_BODIES, userBody } from "../../../bench/lib/json-bodies.ts";
import { compileByteRules } from "../../../src/normalize/json/bytes/compile-byte-rules.ts";
import { checkJsonRules, compileJsonRules, type JsonLimits, type JsonRulesConfig } from "../../../src/normalize/json/compile-json-rules.ts";
import { EXAMPLE_JSON_RULES } from "../../../src/normalize/json/example-rules.ts";
import { parseJsonBody } from "../../../src/normalize/json/parse-json-body.ts";
import { serializeJson } from "../../../src/normalize/json/serialize-json.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const LIMITS: JsonLimits = { maxBytes: 1 << 22, maxDepth: 64 };

type Kind = "taken" | "either" | "fails";
interface Row {
  readonly name: string;
  readonly config: JsonRulesConfig;
  readonly input: string | Uint8Array;
  /** The output text both paths must give (as JSON.stringify writes it); omitted: whatever the tree gives. */
  readonly output?: string;
  readonly kind: Kind;
  readonly limits?: JsonLimits;
}

function treeBytes(config: JsonRulesConfig, bytes: Uint8Array, limits: JsonLimits): Uint8Array | null {
  const parsed = parseJsonBody(bytes, limits);
  if (!parsed.ok) return null;
  const result = compileJsonRules(config)(parsed.value);
  return result.ok ? serializeJson(result.value) : null;
}

const show = (bytes: Uint8Array | null): string | null => (bytes === null ? null : decoder.decode(bytes));

function runRow(row: Row): void {
  const bytes = typeof row.input === "string" ? encoder.encode(row.input) : row.input;
  const limits = row.limits ?? LIMITS;
  const original = bytes.slice();
  const transform = compileByteRules(row.config);
  if (row.kind === "taken") {
    expect(checkJsonRules(row.config)).toEqual([]); // an ordinary row has a config the loader accepts
    expect(transform).not.toBeNull();
  }
  const fast = transform === null ? null : transform(bytes, limits);
  expect(Buffer.from(bytes).equals(Buffer.from(original))).toBe(true); // the input is left alone
  const tree = treeBytes(row.config, original, limits);

  if (row.kind === "fails") expect(show(tree)).toBeNull();
  else {
    expect(tree).not.toBeNull();
    if (row.output !== undefined) expect(show(tree)).toBe(row.output);
  }
  if (row.kind === "taken") expect(fast).not.toBeNull();
  if (fast !== null) {
    // Text first (a readable diff), then the exact bytes.
    expect(show(fast)).toBe(show(tree));
    expect(Buffer.from(fast).equals(Buffer.from(tree!))).toBe(true);
    if (row.output !== undefined) expect(show(fast)).toBe(row.output);
  }
}

function table(title: string, rows: Row[]): void {
  describe(title, () => {
    for (const row of rows) test(`${row.kind}: ${row.name}`, () => runRow(row));
  });
}

const o = (value: unknown): string => JSON.stringify(value);
const taken = (name: string, config: JsonRulesConfig, input: string | Uint8Array, output?: string, limits?: JsonLimits): Row => ({ name, config, input, output, kind: "taken", limits });
const either = (name: string, config: JsonRulesConfig, input: string | Uint8Array, output?: string, limits?: JsonLimits): Row => ({ name, config, input, output, kind: "either", limits });
const fails = (name: string, config: JsonRulesConfig, input: string | Uint8Array, limits?: JsonLimits): Row => ({ name, config, input, kind: "fails", limits });

// ---------------------------------------------------------------------------------------------

table("the example rules on the bench bodies", [
  taken("userBody(1024)", EXAMPLE_JSON_RULES, userBody(1024)),
  taken("userBody(65536)", EXAMPLE_JSON_RULES, userBody(65536)),
  ...Object.entries(JSON_BODIES).map(([file, size]) => taken(`${file}, pretty-printed`, EXAMPLE_JSON_RULES, JSON.stringify(JSON.parse(userBody(size)), null, 2))),
  taken("userBody(1024), tab-indented with CRLF line ends", EXAMPLE_JSON_RULES, JSON.stringify(JSON.parse(userBody(1024)), null, "\t").replaceAll("\n", "\r\n")),
  taken("the empty config on userBody(1024)", {}, userBody(1024), userBody(1024)),
  taken(
    "the realistic body of compile-json-rules.test.ts",
    EXAMPLE_JSON_RULES,
    `{
      "user_name": "Ann Lee", "email": "Ann.Lee@Example.COM", "password_hash": "$2b$10$abcdefghijklmnopqrstuv",
      "score": "87.5", "active": "1", "created": "Wed, 01 May 2024 10:30:00 GMT", "account_id": 1234,
      "shipping_address": { "street_line": "1 Main St", "postal_code": "12345" },
      "items": [
        { "sku_id": "A-1", "created_at": "2024-05-01T10:30:00Z", "unit_price": 9.5 },
        { "sku_id": "B-2", "created_at": "2024-05-02T08:00:00Z", "unit_price": 3 }
      ]
    }`,
    o({
      userName: "Ann Lee", email: "ann.lee@example.com", score: 87.5, active: true, created: "2024-05-01T10:30:00.000Z", accountId: 1234,
      shippingAddress: { streetLine: "1 Main St", postalCode: "12345" },
      items: [{ skuId: "A-1", createdAt: "2024-05-01T10:30:00Z", unitPrice: 9.5 }, { skuId: "B-2", createdAt: "2024-05-02T08:00:00Z", unitPrice: 3 }],
      tags: [],
    }),
  ),
  either("with a leading BOM", EXAMPLE_JSON_RULES, new Uint8Array([0xef, 0xbb, 0xbf, ...encoder.encode(userBody(1024))])),
]);

table("paths (reference examples)", [
  taken("omit: [user.password] on a null parent", { omit: ["user.password"] }, `{"user": null}`, `{"user":null}`),
  taken("a nested field", { lowercase: ["user.email"] }, `{"user":{"email":"A@B"}}`, `{"user":{"email":"a@b"}}`),
  taken("every element", { lowercase: ["items[].code"] }, `{"items":[{"code":"X"},{"code":"Y"},{}]}`, `{"items":[{"code":"x"},{"code":"y"},{}]}`),
  taken("a top-level array", { omit: ["[].id"] }, `[{"id":1,"a":2},{"b":3},4]`, `[{"a":2},{"b":3},4]`),
  taken("tags[]: the elements themselves", { lowercase: ["tags[]"] }, `{"tags":["A","b",3,null]}`, `{"tags":["a","b",3,null]}`),
  taken("matrix[][]", { coerce: { "matrix[][]": "number" } }, `{"matrix":[["1","2"],[],["3"]]}`, `{"matrix":[[1,2],[],[3]]}`),
  taken("a missing parent does nothing", { omit: ["user.password"] }, `{"a":1}`, `{"a":1}`),
  taken("a parent of another type does nothing", { coerce: { "items[].n": "number" } }, `{"items":{"n":"1"}}`, `{"items":{"n":"1"}}`),
  taken("scalar elements are skipped", { coerce: { "items[].n": "number" } }, `{"items":[1,"x",null,{"n":"2"}]}`, `{"items":[1,"x",null,{"n":2}]}`),
  taken("a scalar body passes through", { omit: ["a"], keys: "camelCase", defaults: { a: 1 } }, `"just text"`, `"just text"`),
]);

table("order (reference example)", [
  taken("omit: [password_hash], keys: camelCase, defaults: {isAdmin: false}", { omit: ["password_hash"], keys: "camelCase", defaults: { isAdmin: false } }, `{"password_hash": "x", "is_admin": true}`, `{"isAdmin":true}`),
  // Two conversions on one field: checkJsonRules refuses these configs, so the byte path may refuse them too.
  either("lowercase before coerce (a refused config)", { lowercase: ["f"], coerce: { f: "boolean" } }, `{"f":"TRUE"}`, `{"f":true}`),
  either("coerce before dates (a refused config)", { coerce: { t: "number" }, dates: { t: "rfc3339" } }, `{"t":"0"}`, `{"t":"1970-01-01T00:00:00.000Z"}`),
  taken("conversions use the sender's names, defaults the output names", { keys: "camelCase", coerce: { user_id: "string" }, defaults: { userId: "none", user_id: "z" } }, `{"user_id":7}`, `{"userId":"7","user_id":"z"}`),
]);

table("omit and lowercase (reference examples)", [
  taken("omit: [password_hash]", { omit: ["password_hash"] }, `{"password_hash": "x", "a": 1}`, `{"a":1}`),
  taken("omit removes a whole subtree", { omit: ["internal"] }, `{"internal":{"a":[1,{"b":"}"}]},"b":2}`, `{"b":2}`),
  taken("omit the last field", { omit: ["b"] }, `{"a":1,"b":{"c":[]}}`, `{"a":1}`),
  taken("omit the only field", { omit: ["a"] }, `{ "a" : [ 1 , 2 ] }`, `{}`),
  taken("lowercase: [email]", { lowercase: ["email"] }, `{"email": "Ann@X.org"}`, `{"email":"ann@x.org"}`),
  taken("lowercase: a number stays", { lowercase: ["email"] }, `{"email": 7}`, `{"email":7}`),
  taken("lowercase: null stays", { lowercase: ["email"] }, `{"email": null}`, `{"email":null}`),
  taken("lowercase: Unicode", { lowercase: ["email"] }, `{"email":"ÉCOLE@EXAMPLE.COM"}`, `{"email":"école@example.com"}`),
  either("lowercase: İ and a final sigma (no locale, whole-string rules)", { lowercase: ["a", "b"] }, `{"a":"İSTANBUL","b":"ΣΊΣΥΦΟΣ ΟΔΟΣ"}`, o({ a: "İSTANBUL".toLowerCase(), b: "ΣΊΣΥΦΟΣ ΟΔΟΣ".toLowerCase() })),
  either("lowercase: an object stays", { lowercase: ["email"] }, `{"email":{"A":"B"}}`, `{"email":{"A":"B"}}`),
]);

// coerce: one row per reference example.
const coerceRows: Row[] = [];
for (const [kind, pairs, bad] of [
  ["number", [[`"42"`, `42`], [`"4.5"`, `4.5`], [`"-1e3"`, `-1000`], [`42`, `42`], [`null`, `null`]], [`""`, `" 1"`, `"0x10"`, `"Infinity"`, `true`, `false`]],
  ["integer", [[`"42"`, `42`], [`"4.0"`, `4`], [`42`, `42`], [`null`, `null`]], [`4.5`, `"4.5"`, `9007199254740992`, `"9007199254740992"`, `-9007199254740992`]],
  ["boolean", [[`"true"`, `true`], [`"1"`, `true`], [`1`, `true`], [`"false"`, `false`], [`"0"`, `false`], [`0`, `false`], [`true`, `true`], [`false`, `false`], [`null`, `null`]], [`"yes"`, `"TRUE"`]],
  ["string", [[`42`, `"42"`], [`1e21`, `"1e+21"`], [`true`, `"true"`], [`"s"`, `"s"`], [`null`, `null`]], [`{}`, `[]`, `{"a":1}`, `[1]`]],
] as const) {
  for (const [from, to] of pairs) coerceRows.push(taken(`${kind}: ${from} → ${to}`, { coerce: { v: kind } }, `{"a":0,"v":${from},"z":1}`, `{"a":0,"v":${to},"z":1}`));
  for (const from of bad) coerceRows.push(fails(`${kind}: ${from} fails`, { coerce: { v: kind } }, `{"a":0,"v":${from},"z":1}`));
}
table("coerce (reference examples)", coerceRows);

// dates: every readable form of the reference, written in each format.
const dateRows: Row[] = [];
const INSTANT = Date.UTC(2024, 4, 1, 10, 30);
for (const [from, ms] of [
  [`"2024-05-01T12:30:00+02:00"`, INSTANT],
  [`"2024-05-01T10:30:00.5Z"`, INSTANT + 500],
  [`"2024-05-01"`, Date.UTC(2024, 4, 1)],
  [`"2024-05-01 10:30"`, INSTANT],
  [`"Wed, 01 May 2024 10:30:00 GMT"`, INSTANT],
  [`"1 May 2024 12:30 +0200"`, INSTANT],
  [`"Wednesday, 01-May-24 10:30:00 GMT"`, INSTANT],
  [`"Wed May  1 10:30:00 2024"`, INSTANT],
  [`1714559400`, INSTANT],
  [`1714559400000`, INSTANT],
] as const) {
  const written = { rfc3339: o(new Date(ms).toISOString()), "epoch-ms": String(ms), "epoch-s": String(Math.floor(ms / 1000)) };
  for (const format of ["rfc3339", "epoch-ms", "epoch-s"] as const) {
    dateRows.push(taken(`${format}: ${from}`, { dates: { created: format } }, `{"created":${from},"n":1}`, `{"created":${written[format]},"n":1}`));
  }
}
dateRows.push(taken("null stays", { dates: { created: "epoch-s" } }, `{"created":null}`, `{"created":null}`));
dateRows.push(taken("each element", { dates: { "log[].t": "rfc3339" } }, `{"log":[{"t":0},{"t":null}]}`, `{"log":[{"t":"1970-01-01T00:00:00.000Z"},{"t":null}]}`));
for (const bad of [`"2024-04-31"`, `"2024-05-01T24:00:00Z"`, `true`, `{}`, `[]`, `"yesterday"`, `"10000-01-01"`]) {
  dateRows.push(fails(`${bad} fails`, { dates: { created: "rfc3339" } }, `{"created":${bad}}`));
}
// The byte path writes rfc3339 from integers: the edges of the range and of years, months, days.
for (const n of [-62_167_219_200_000, -62_162_035_200_001, -62_135_596_800_000, -1, 0, 951_782_400_000, 951_868_800_000, 4_107_542_400_000, 253_402_300_799_999]) {
  const ms = Math.abs(n) >= 1e11 ? n : n * 1000; // below 1e11 a number is seconds
  dateRows.push(taken(`rfc3339 of ${n}`, { dates: { created: "rfc3339" } }, `{"created":${n}}`, `{"created":${o(new Date(ms).toISOString())}}`));
}
table("dates (reference examples)", dateRows);

table("rename (reference examples)", [
  taken("rename: {user_name: userName}", { rename: { user_name: "userName" } }, `{"user_name": "a"}`, `{"userName":"a"}`),
  taken("items[].created_at → items[].createdAt", { rename: { "items[].created_at": "items[].createdAt" } }, `{"items":[{"id":1,"created_at":"x","z":2},{"z":3}]}`, `{"items":[{"id":1,"createdAt":"x","z":2},{"z":3}]}`),
  taken("items[].created_at → createdAt (the same)", { rename: { "items[].created_at": "createdAt" } }, `{"items":[{"created_at":1}]}`, `{"items":[{"createdAt":1}]}`),
  taken("keeps its place among its siblings", { rename: { user_name: "userName" } }, `{"a":1,"user_name":"x","b":2}`, `{"a":1,"userName":"x","b":2}`),
  taken("keeps its place, with keys: snake_case around it", { rename: { user_name: "UserName" }, keys: "snake_case" }, `{"aB":1,"user_name":"x","cD":2}`, `{"a_b":1,"UserName":"x","c_d":2}`),
  taken("swap", { rename: { a: "b", b: "a" } }, `{"a":1,"b":2}`, `{"b":1,"a":2}`),
  taken("nested renames use the sender's names", { rename: { user_info: "profile", "user_info.user_name": "name" } }, `{"user_info":{"user_name":"a"}}`, `{"profile":{"name":"a"}}`),
  taken("a top-level array", { rename: { "[].id": "key" } }, `[{"id":1},{"id":2,"x":0}]`, `[{"key":1},{"key":2,"x":0}]`),
  taken("rename: {ID: ID} keeps ID under keys: snake_case", { rename: { ID: "ID" }, keys: "snake_case" }, `{"ID":1,"fooBar":2}`, `{"ID":1,"foo_bar":2}`),
  taken("rename: {ID: ID} keeps ID under keys: camelCase", { rename: { ID: "ID" }, keys: "camelCase" }, `{"ID":1,"foo_bar":2}`, `{"ID":1,"fooBar":2}`),
  taken("a rename is final", { rename: { user_id: "UserID" }, keys: "snake_case" }, `{"user_id":1,"createdAt":2}`, `{"UserID":1,"created_at":2}`),
  either("replaces a field that already has the new name", { rename: { name: "title" } }, `{"title": "old", "name": "new"}`, `{"title":"new"}`),
  either("…whichever comes first", { rename: { name: "title" } }, `{"name":"new","title":"old"}`, `{"title":"new"}`),
  either("a renamed field beats a re-cased one", { rename: { name: "userName" }, keys: "camelCase" }, `{"user_name":"x","name":"y"}`, `{"userName":"y"}`),
]);

table("keys (reference examples)", [
  taken(
    "camelCase",
    { keys: "camelCase" },
    `{"created_at":1,"user-name":2,"ID":3,"userId":4,"USER_ID":5,"_id":6,"__v":7,"x_":8}`,
    `{"createdAt":1,"userName":2,"ID":3,"userId":4,"USERID":5,"_id":6,"__v":7,"x_":8}`,
  ),
  taken(
    "snake_case",
    { keys: "snake_case" },
    `{"createdAt":1,"userID":2,"XMLHttpRequest":3,"user-name":4,"ID":5,"_leadingKey":6,"trailingKey_":7}`,
    `{"created_at":1,"user_id":2,"xml_http_request":3,"user_name":4,"id":5,"_leading_key":6,"trailing_key_":7}`,
  ),
  taken("camelCase everywhere, values untouched", { keys: "camelCase" }, `{"user_name":"c_d","nested_obj":{"deep_key":[{"a_b":1},["e_f"]]}}`, `{"userName":"c_d","nestedObj":{"deepKey":[{"aB":1},["e_f"]]}}`),
  taken("snake_case inside a top-level array", { keys: "snake_case" }, `[{"userName":1},{"list":[{"createdAt":2}]}]`, `[{"user_name":1},{"list":[{"created_at":2}]}]`),
  taken("non-ASCII keys", { keys: "camelCase" }, `{"é_clé":1,"straße_name":2}`, o({ éClé: 1, straßeName: 2 })),
  either('"__proto__" stays an own key', { keys: "camelCase" }, `{"__proto__":{"a_b":1},"c_d":2}`, `{"__proto__":{"aB":1},"cD":2}`),
  either("two keys to one name: the later one's value wins", { keys: "camelCase" }, `{"user_name":1,"userName":2}`, `{"userName":2}`),
  either("two keys to one name, snake_case", { keys: "snake_case" }, `{"userName":1,"a":0,"user_name":2}`),
]);

table("defaults (reference examples)", [
  taken("defaults: {tags: []}", { defaults: { tags: [] } }, `{"a": 1}`, `{"a":1,"tags":[]}`),
  taken("null counts as present", { defaults: { tags: [] } }, `{"tags": null}`, `{"tags":null}`),
  taken("present stays", { defaults: { tags: [], n: 0 } }, `{"tags":["x"],"n":5}`, `{"tags":["x"],"n":5}`),
  taken('{"meta.v": 1, meta: {}} on {}', { defaults: { "meta.v": 1, meta: {} } }, `{}`, `{"meta":{"v":1}}`),
  taken('{"meta.v": 1, meta: {}} on {"meta":{"x":1}}', { defaults: { "meta.v": 1, meta: {} } }, `{"meta":{"x":1}}`, `{"meta":{"x":1,"v":1}}`),
  taken('{"meta.v": 1, meta: {}} on {"meta":null}', { defaults: { "meta.v": 1, meta: {} } }, `{"meta":null}`, `{"meta":null}`),
  taken('{"meta.v": 1, meta: {}} on {"meta":[1]}', { defaults: { "meta.v": 1, meta: {} } }, `{"meta":[1]}`, `{"meta":[1]}`),
  taken('{"meta.v": 1, meta: {}} on {"meta":{}} (pretty)', { defaults: { "meta.v": 1, meta: {} } }, `{\n  "meta": {\n  }\n}`, `{"meta":{"v":1}}`),
  taken("a missing parent does nothing", { defaults: { "meta.v": 1 } }, `{}`, `{}`),
  taken("items[].tags", { defaults: { "items[].tags": [] } }, `{"items":[{"id":1},{"id":2,"tags":["x"]},3,{"tags":null},{}]}`, `{"items":[{"id":1,"tags":[]},{"id":2,"tags":["x"]},3,{"tags":null},{"tags":[]}]}`),
  taken("items[].tags on a top-level array of items (nothing to do)", { defaults: { "items[].tags": [] } }, `[{"id":1}]`, `[{"id":1}]`),
  taken("by OUTPUT names", { keys: "camelCase", defaults: { isAdmin: false, is_admin: "never" } }, `{"is_admin":true}`, `{"isAdmin":true,"is_admin":"never"}`),
  taken("by OUTPUT names after a rename", { rename: { "items[].created_at": "items[].createdAt" }, defaults: { "items[].createdAt": null } }, `{"items":[{"created_at":1},{}]}`, `{"items":[{"createdAt":1},{"createdAt":null}]}`),
  taken("omit and a default on the same field", { omit: ["token"], defaults: { token: "***" } }, `{"token":"secret","a":1}`, `{"a":1,"token":"***"}`),
  taken("the value goes in as written (keys does not re-case it)", { keys: "camelCase", defaults: { meta: { inner_key: [1, { b_c: null }] } } }, `{"x_y":1}`, `{"xY":1,"meta":{"inner_key":[1,{"b_c":null}]}}`),
  taken("string defaults are written as JSON", { defaults: { s: 'quote " backslash \\ nl \n é \u2028' } }, `{}`, o({ s: 'quote " backslash \\ nl \n é \u2028' })),
]);

table("escapes and number spellings in ordinary bodies", [
  taken("\\u00e9 / \\u00C9 and \\/ escapes", { lowercase: ["email"] }, `{"email":"\\u00C9COLE@X.org","name":"caf\\u00e9","url":"http:\\/\\/a\\/b"}`, o({ email: "école@x.org", name: "café", url: "http://a/b" })),
  taken("an escaped key matches a rule", { rename: { user_name: "userName" }, omit: ["password_hash"] }, `{"user\\u005fname":"a","pass\\u0077ord_hash":"x","b":1}`, `{"userName":"a","b":1}`),
  taken("an escaped key is re-cased", { keys: "camelCase" }, `{"created\\u005Fat":1,"a\\/b":2}`, `{"createdAt":1,"a/b":2}`),
  taken("escaped surrogate pair and control characters", { lowercase: ["s"] }, `{"s":"\\uD83D\\uDE00 A\\tB\\u0001","t":"\\ud83d\\ude00\\b\\f\\n\\r\\"\\\\"}`, o({ s: "😀 a\tb\u0001", t: '😀\b\f\n\r"\\' })),
  taken("raw UTF-8 kept as is", { keys: "snake_case" }, `{"éCole":"日本語 😀","x":"\u2028"}`, o({ é_cole: "日本語 😀", x: "\u2028" })),
  taken("1.0, 1E2, -0, 0.10, 1e-7 and a big integer (empty config)", {}, `{"a":1.0,"b":1E2,"c":-0,"d":0.10,"e":1e-7,"f":12345678901234567890,"g":1e+2,"h":-0.0}`, `{"a":1,"b":100,"c":0,"d":0.1,"e":1e-7,"f":12345678901234567000,"g":100,"h":0}`),
  taken("non-canonical numbers beside rules", { keys: "camelCase", coerce: { n: "string", m: "integer" } }, `{"a_b":1.50,"n":1E2,"m":"4.0","list":[0.0,2e0,-1.0E+1]}`, `{"aB":1.5,"n":"100","m":4,"list":[0,2,-10]}`),
  taken("numbers as coerce input", { coerce: { score: "number", active: "boolean" } }, `{"score":"1.0","active":1.0}`, `{"score":1,"active":true}`),
  taken("pretty-printed input with CR LF and tabs", EXAMPLE_JSON_RULES, `{\r\n\t"user_name" : "Ann" ,\r\n\t"score" :\t"1" ,\r\n\t"items" : [ { "created_at" : 0 } ]\r\n}\r\n`, `{"userName":"Ann","score":1,"items":[{"createdAt":0}],"tags":[]}`),
  fails("1e400 (beyond double range: refused, never written as null)", {}, `{"a":1e400}`),
  fails("-1e400 in an array", {}, `[1,-1e400]`),
  fails("an integer of 400 digits", {}, `{"a":${"9".repeat(400)}}`),
  taken("1e-400 (underflow: 0) and 1e308 (in range)", {}, `{"c":1e-400,"d":1e308}`, `{"c":0,"d":1e+308}`),
  either("a lone surrogate escape", { lowercase: ["s"] }, `{"s":"\\uD800A","t":"\\udfff"}`, `{"s":"\\ud800a","t":"\\udfff"}`),
  either("string with a key-like rule name inside", EXAMPLE_JSON_RULES, `{"note":"\\"password_hash\\":1,\\"email\\":\\"X\\"","email":"Y"}`, `{"note":"\\"password_hash\\":1,\\"email\\":\\"X\\"","email":"y","tags":[]}`),
]);

// Found by byte-rules.differential.test.ts while the byte path was written.
table("regressions", [
  // "0" then an exponent was taken for canonical and copied as written.
  taken("0 with an exponent (empty config)", {}, `[0e0,0E+5,-0e1,0.0e0,0e-3]`, `[0,0,0,0,0]`),
  taken("0 with an exponent, at a lowercase place (non-strings stay, written canonically)", { lowercase: ["v"] }, `{"v":0e3}`, `{"v":0}`),
  taken('coerce number on "0e5"', { coerce: { v: "number" } }, `{"v":"0e5"}`, `{"v":0}`),
  // A number beyond double range is refused before any rule sees it (it was Infinity to the rules, written null).
  fails("1e400 coerced to boolean fails", { coerce: { v: "boolean" } }, `{"v":1e400}`),
  fails("1e400 coerced to integer fails", { coerce: { v: "integer" } }, `{"v":1e400}`),
  fails("1e400 read as a date fails", { dates: { v: "rfc3339" } }, `{"v":1e400}`),
  fails("-1e400 coerced to string fails", { coerce: { v: "string" } }, `{"v":-1e400}`),
  fails("1e400 coerced to number fails", { coerce: { v: "number" } }, `{"v":1e400}`),
  fails("1e400 at a lowercase place fails", { lowercase: ["v"] }, `{"v":1e400}`),
]);

// ---------------------------------------------------------------------------------------------
// Null (fall back) is acceptable here; wrong bytes never are.

table("duplicate keys: fall back or match the tree (the last one wins)", [
  either("plain", {}, `{"a":1,"a":2}`, `{"a":2}`),
  either("with the example rules", EXAMPLE_JSON_RULES, `{"user_name":"x","email":"A","user_name":"y"}`, `{"userName":"y","email":"a","tags":[]}`),
  either("an omitted key repeated", { omit: ["password_hash"] }, `{"password_hash":1,"a":1,"password_hash":2}`, `{"a":1}`),
  either("a coerced key repeated, first bad", { coerce: { n: "number" } }, `{"n":"x","n":"1"}`, `{"n":1}`),
  either("spelt differently (escape)", { keys: "camelCase" }, `{"v":1,"\\u0076":2}`, `{"v":2}`),
  either("inside items", EXAMPLE_JSON_RULES, `{"items":[{"created_at":1,"created_at":2}]}`, `{"items":[{"createdAt":2}],"tags":[]}`),
  either("a default's field repeated", { defaults: { tags: [] } }, `{"tags":null,"tags":null}`, `{"tags":null}`),
  either("__proto__ twice", {}, `{"__proto__":1,"__proto__":{"a":1}}`, `{"__proto__":{"a":1}}`),
  either("the empty key twice", {}, `{"":1,"":2}`, `{"":2}`),
  either("the empty key twice, camel-cased", { keys: "camelCase" }, `{"":1,"a":0,"":2}`, `{"":2,"a":0}`),
  // Names are told new by a fingerprint first: a repeat among many names, and names alike in it.
  either("a key repeated after 40 others", {}, manyKeys(40, "k7"), `{${Array.from({ length: 40 }, (_, i) => `"k${i}":${i === 7 ? 40 : i}`).join(",")}}`),
  taken("40 distinct keys of one length", {}, manyKeys(40, null), manyKeys(40, null)),
  taken("names alike in length, last and middle bytes", {}, `{"axb":1,"bxb":2,"cxb":3}`, `{"axb":1,"bxb":2,"cxb":3}`),
]);

/** {"k0":0,…,"k<count-1>":…}, then `repeat` (when given) once more with the value `count`. */
function manyKeys(count: number, repeat: string | null): string {
  const members = Array.from({ length: count }, (_, i) => `"k${i}":${i}`);
  if (repeat !== null) members.push(`"${repeat}":${count}`);
  return `{${members.join(",")}}`;
}

const deep = `{"a":{"b":{"c":[1]}}}`;
table("bad JSON, caps, failing conversions: the byte path says null", [
  fails("empty", {}, ""),
  fails("whitespace only", {}, " \n"),
  fails("a trailing comma", EXAMPLE_JSON_RULES, `{"a":1,}`),
  fails("unclosed", EXAMPLE_JSON_RULES, `{"a":1`),
  fails("an unclosed string", EXAMPLE_JSON_RULES, `{"email":"A`),
  fails("leading zero", {}, `{"a":01}`),
  fails("a bare minus", {}, `{"a":-}`),
  fails("a raw tab in a string", {}, `{"a":"\t"}`),
  fails("a raw newline in a key", { keys: "camelCase" }, `{"a\nb":1}`),
  fails("a bad escape", {}, `{"a":"\\x41"}`),
  fails("a short \\u escape", {}, `{"a":"\\u12"}`),
  fails("single quotes", {}, `{'a':1}`),
  fails("trailing garbage", {}, `{"a":1}x`),
  fails("two values", {}, `{"a":1} {}`),
  fails("nul", {}, `nul`),
  fails("NaN", {}, `{"a":NaN}`),
  fails("a missing colon", {}, `{"a" 1}`),
  fails("a missing value", { defaults: { b: 1 } }, `{"a":}`),
  fails("invalid UTF-8 (lone continuation byte) in a string", { lowercase: ["a"] }, new Uint8Array([...encoder.encode(`{"a":"`), 0x80, ...encoder.encode(`"}`)])),
  fails("invalid UTF-8 (overlong) in a key", { keys: "camelCase" }, new Uint8Array([...encoder.encode(`{"`), 0xc0, 0xae, ...encoder.encode(`":1}`)])),
  fails("UTF-8-encoded surrogate (CESU)", {}, new Uint8Array([...encoder.encode(`{"a":"`), 0xed, 0xa0, 0x80, ...encoder.encode(`"}`)])),
  fails("beyond U+10FFFF", {}, new Uint8Array([...encoder.encode(`{"a":"`), 0xf4, 0x90, 0x80, 0x80, ...encoder.encode(`"}`)])),
  fails("a truncated multi-byte sequence at the end", {}, new Uint8Array([...encoder.encode(`"a`), 0xc3])),
  fails("two BOMs", {}, new Uint8Array([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, ...encoder.encode("{}")])),
  fails("too deep (maxDepth 2)", {}, deep, { maxBytes: 1 << 20, maxDepth: 2 }),
  fails("too deep (maxDepth 3), with rules", EXAMPLE_JSON_RULES, deep, { maxBytes: 1 << 20, maxDepth: 3 }),
  taken("exactly at the depth cap (maxDepth 4)", { keys: "camelCase" }, deep, deep, { maxBytes: 1 << 20, maxDepth: 4 }),
  fails("too large (maxBytes one short)", {}, deep, { maxBytes: deep.length - 1, maxDepth: 64 }),
  taken("exactly at the size cap", { omit: ["a"] }, deep, `{}`, { maxBytes: deep.length, maxDepth: 64 }),
  fails('coerce failure: "score": "x" with the example rules', EXAMPLE_JSON_RULES, `{"score":"x"}`),
  fails("coerce failure inside items (reference error example)", { coerce: { "items[].score": "number" } }, `{"items": [{}, {"score": "x"}]}`),
  fails("boolean failure with the example rules", EXAMPLE_JSON_RULES, `{"active":"yes","score":"1"}`),
  fails("date failure with the example rules", EXAMPLE_JSON_RULES, `{"created":"31 April"}`),
  fails("a later failure after earlier successes", { coerce: { "[]": "integer" } }, `["1","2",3,"3.5"]`),
]);

describe("one compiled transform, many bodies", () => {
  test("results do not depend on earlier calls, and an earlier result is not overwritten", () => {
    const transform = compileByteRules(EXAMPLE_JSON_RULES);
    expect(transform).not.toBeNull();
    const bodies = [userBody(1024), `{"email":"X@Y"}`, `{"score":"x"}`, `{"a":`, userBody(2048), `{"email":"X@Y"}`];
    const results = bodies.map((b) => {
      const out = transform!(encoder.encode(b), LIMITS);
      return out === null ? null : { out, copy: out.slice() };
    });
    bodies.forEach((b, i) => {
      const tree = show(treeBytes(EXAMPLE_JSON_RULES, encoder.encode(b), LIMITS));
      const r = results[i]!;
      if (r !== null) {
        expect(show(r.out)).toBe(tree);
        expect(show(r.copy)).toBe(tree);
      } else expect(i === 2 || i === 3).toBe(true); // only the failing bodies may fall back
    });
  });
});

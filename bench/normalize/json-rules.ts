// Rough cost of a JSON body through Keel's normalisation, the example config of docs/normalize.md
// on a ~1 KB and a ~64 KB body: the byte path (one pass over the bytes, what the request path
// runs) and the tree path (parse with the size, depth and UTF-8 guards + the compiled rules +
// serialize, what it falls back to), in total and per phase. Prints ns per call (best of 7
// rounds). Not a test; ~15 s.
//   bun bench/normalize/json-rules.ts
import { parseJsonBody } from "../../src/normalize/json/parse-json-body.ts";
import { compileJsonRules, type JsonRulesConfig } from "../../src/normalize/json/compile-json-rules.ts";
import { serializeJson } from "../../src/normalize/json/serialize-json.ts";
import { EXAMPLE_JSON_RULES } from "../../src/normalize/json/example-rules.ts";
import { compileByteRules } from "../../src/normalize/json/bytes/compile-byte-rules.ts";

const config: JsonRulesConfig = EXAMPLE_JSON_RULES;
const limits = { maxBytes: 1 << 20, maxDepth: 64 };

/** A realistic order-like body with `items` line items. */
function bodyWith(items: number): Uint8Array {
  const value = {
    user_name: "Ann Lee",
    email: "Ann.Lee@Example.COM",
    password_hash: "$2b$10$abcdefghijklmnopqrstuvwxyz0123456789",
    score: "87.5",
    active: "1",
    created: "Wed, 01 May 2024 10:30:00 GMT",
    account_id: 1234567,
    shipping_address: { street_line: "1 Main St", postal_code: "12345", country_code: "US" },
    items: Array.from({ length: items }, (_, i) => ({
      sku_id: `SKU-${1000 + i}`,
      created_at: "2024-05-01T10:30:00Z",
      unit_price: 9.5 + i,
      quantity: (i % 5) + 1,
      gift_wrap: i % 2 === 0,
    })),
  };
  return new TextEncoder().encode(JSON.stringify(value));
}

const transform = compileJsonRules(config);
const byteTransform = compileByteRules(config)!;

function once(bytes: Uint8Array): number {
  const parsed = parseJsonBody(bytes, limits);
  if (!parsed.ok) throw new Error(parsed.message);
  const out = transform(parsed.value);
  if (!out.ok) throw new Error(out.error.message);
  return serializeJson(out.value).length;
}

/** ns per call of `fn` over `calls` calls. */
function timed(fn: () => unknown, calls: number): number {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) fn();
  return ((performance.now() - t0) * 1e6) / calls;
}

/** ns per transform, on bodies parsed beforehand in batches (untimed), as the rules get them. */
function timedRules(bytes: Uint8Array, calls: number): number {
  const batch = Math.min(calls, 64);
  let ns = 0;
  for (let done = 0; done < calls; done += batch) {
    const values = Array.from({ length: batch }, () => (parseJsonBody(bytes, limits) as { value: unknown }).value);
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) transform(values[i]);
    ns += (performance.now() - t0) * 1e6;
  }
  return ns / calls;
}

const ROUNDS = 7;

for (const [label, items, calls] of [["~1 KB", 5, 20_000], ["~64 KB", 440, 300]] as const) {
  const bytes = bodyWith(items);
  const outBytes = once(bytes);
  const transformed = (transform((parseJsonBody(bytes, limits) as { value: unknown }).value) as { value: unknown }).value;
  const fromBytes = byteTransform(bytes, limits);
  if (fromBytes === null || Buffer.compare(fromBytes, serializeJson(transformed)) !== 0) throw new Error("the byte path must take this body and match the tree path");
  const best = { bytePath: Infinity, total: Infinity, parse: Infinity, rules: Infinity, serialize: Infinity };
  // Rounds interleave the phases and keep each one's best: the machine is shared, the best round is the least disturbed.
  for (let round = 0; round <= ROUNDS; round++) {
    const bytePath = timed(() => byteTransform(bytes, limits), calls);
    const total = timed(() => once(bytes), calls);
    const parse = timed(() => parseJsonBody(bytes, limits), calls);
    const rules = timedRules(bytes, calls);
    const serialize = timed(() => serializeJson(transformed), calls);
    if (round === 0) continue; // warm-up: JIT tiers, the key-case cache
    best.bytePath = Math.min(best.bytePath, bytePath);
    best.total = Math.min(best.total, total);
    best.parse = Math.min(best.parse, parse);
    best.rules = Math.min(best.rules, rules);
    best.serialize = Math.min(best.serialize, serialize);
  }
  console.log(
    `${label} (${bytes.length} B in, ${outBytes} B out): byte path ${best.bytePath.toFixed(0)} ns/call | tree path ${best.total.toFixed(0)} ns/call:` +
      ` | parse ${best.parse.toFixed(0)} ns, rules ${best.rules.toFixed(0)} ns, serialize ${best.serialize.toFixed(0)} ns`,
  );
}

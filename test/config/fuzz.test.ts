// ~2,000 random and mutated texts: loading never throws, never hits the internal-error fallback,
// and every error has a real position.
import { test, expect } from "bun:test";
import fc from "fast-check";
import { stringify } from "yaml";
import { loadConfigText } from "../../src/config/load.ts";

const BASE = `listen: { port: \${PORT:-8080}, host: 0.0.0.0 }
admin: { port: 9901 }
server: { drainTimeout: 30s, idleTimeout: 10s, maxRequestBody: 1mb }
requestId: { header: x-request-id }
upstreams:
  users: &u
    endpoints: [ "http://127.0.0.1:9001", "http://127.0.0.1:9002" ]
    balance: p2c
    pool: { maxIdle: 4, idleTimeout: 30s }
  orders: *u
routes:
  - name: users
    match:
      host: [api.example.com]
      pathPrefix: /api/users
      methods: [GET, POST]
      headers: { x-tenant: "\${TENANT}" }
    upstream: users
    timeout: 2s
    stripPrefix: true
  - { name: orders, match: { path: /orders/:id }, upstream: orders }
`;

const FRAGMENTS = ["${", "$${", "${X:-", "}", "{", "[", "]", ": ", "- ", "\n", "\n  ", "\t", '"', "'", "#", "&a ", "*a", "*u",
  "!!binary ", "!!set ", "? ", "---\n", "...", "<<: *u", "__proto__", "|\n", ">-\n", "0", "-1", "99999", "1.5", "ms", "kb",
  "null", "~", "true", "http://", "https://h:1", "/", ":", ",", "\u{1F600}", "\uE000", "\uE000\uE100\uE100", "\r\n", "\0"];

// Not a timing assertion: a shared 2-core machine can take several seconds for 1,000 loads.
const SLOW = 120_000;

const ENV = { PORT: "0", TENANT: "acme", X: "1", EMPTY: "" };

function check(text: string): void {
  const r = loadConfigText(text, "fuzz.yaml", ENV);
  if (r.ok) {
    expect(r.plan.routes.length).toBeGreaterThan(0);
    return;
  }
  expect(r.errors.length).toBeGreaterThan(0);
  for (const e of r.errors) {
    expect(e.file).toBe("fuzz.yaml");
    expect(Number.isInteger(e.line) && e.line >= 1).toBe(true);
    expect(Number.isInteger(e.col) && e.col >= 1).toBe(true);
    expect(e.message.length).toBeGreaterThan(0);
    expect(e.message).not.toStartWith("internal error");
  }
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: fc.constantFrom(...FRAGMENTS) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), text: fc.string({ maxLength: 12 }) }),
  fc.record({ kind: fc.constant("random" as const), at: fc.nat(), text: fc.string({ maxLength: 8, unit: "grapheme" }) }),
);

function mutate(text: string, ms: { kind: string; at: number; text: string }[]): string {
  for (const m of ms) {
    const at = m.at % (text.length + 1);
    text = m.kind === "delete" ? text.slice(0, at) + text.slice(at + m.text.length + 1) : text.slice(0, at) + m.text + text.slice(at);
  }
  return text;
}

test("mutated valid configs (1,000)", () => {
  fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (ms) => check(mutate(BASE, ms))), { numRuns: 1000, seed: 42 });
}, SLOW);

test("random text (500)", () => {
  fc.assert(fc.property(fc.string({ maxLength: 200, unit: "binary" }), check), { numRuns: 500, seed: 7 });
}, SLOW);

test("random YAML documents of any shape (500)", () => {
  const value = fc.oneof(fc.anything(), fc.record({ upstreams: fc.anything(), routes: fc.anything() }, { requiredKeys: [] }));
  fc.assert(fc.property(value, (v) => check(stringify(v) ?? "")), { numRuns: 500, seed: 3 });
}, SLOW);

test("the unmutated base config is valid (so mutations start from a plan)", () => {
  expect(loadConfigText(BASE, "fuzz.yaml", ENV).ok).toBe(true);
});

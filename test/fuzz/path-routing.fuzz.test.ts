// Path normalisation and routing together, as the request handler runs them (both from a loaded
// plan): a raw path full of traversal in every encoding reaches the route of the path it really
// names. The reference decodes "%2e" once (the only escape that can make a dot), removes dot
// segments by RFC 3986 §5.2.4 word for word, and upper-cases the other escapes; the normaliser must
// give exactly that, so routing can never see a prefix the raw path escaped, nor a traversal that
// double encoding (%252e), encoded separators (%2f, %5c) or overlong UTF-8 (%c0%ae) only pretend.
// (test/normalize/path/*.property.test.ts covers the normaliser's own properties.)

import { expect, test } from "bun:test";
import fc from "fast-check";
import { loadConfigText } from "../../src/config/load.ts";
import { PathRejection } from "../../src/normalize/path/normalize-path.ts";
import { Router } from "../../src/router/router.ts";
import { rfcRemoveDotSegments } from "../normalize/path/rfc-remove-dot-segments.ts";
import { fuzzParams, fuzzTimeout } from "./fuzz-runs.ts";

const loaded = loadConfigText(
  `upstreams:
  u: { endpoints: ["http://127.0.0.1:9"] }
routes:
  - { name: public, match: { pathPrefix: /public }, upstream: u }
  - { name: admin, match: { pathPrefix: /admin }, upstream: u }
`,
  "routing.yaml",
  {},
);
if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join("; "));
const plan = loaded.plan;
const router = new Router(plan.routes);

const SEGMENTS = [
  "..", "%2e%2e", "%2E%2e", ".%2e", "%2e.", "%2E.", ".", "%2e", "%2E", // traversal, in every case and mix
  "%252e%252e", "%252E.", // double-encoded: data, not dots
  "..%2f", "%2e%2e%2f", "..%2F..%2F", "..%5c", "%5c..", // encoded separators: one segment
  "%c0%ae%c0%ae", "%e0%80%ae", // overlong UTF-8 dots
  "..;", ";..", "...", ".a", "a.", // dot-like segments that are not dot segments
  "public", "admin", "a", "", // places to be, and empty segments ("//")
];

/** "%xx" → "." for 2e/2E, every other escape upper-cased; nothing decoded twice. */
function decodeDotsOnce(path: string): string {
  let out = "";
  for (let i = 0; i < path.length; i++) {
    if (path[i] === "%" && /^[0-9a-fA-F]{2}$/.test(path.slice(i + 1, i + 3))) {
      const hex = path.slice(i + 1, i + 3).toUpperCase();
      out += hex === "2E" ? "." : "%" + hex;
      i += 2;
    } else out += path[i];
  }
  return out;
}

function routeOf(path: string): string | null {
  return router.match({ method: "GET", host: "", path, headers: new Headers() })?.route.name ?? null;
}

const RUNS = 2000;
test(`traversal in any encoding: the normalised path is the reference's, and routing follows it (${RUNS} paths)`, () => {
  // Mostly from inside a prefix, trying to get out.
  const start = fc.constantFrom("/", "/public/", "/public/a/", "/admin/");
  fc.assert(
    fc.property(start, fc.array(fc.constantFrom(...SEGMENTS), { minLength: 1, maxLength: 8 }), (from, segs) => {
      const raw = from + segs.join("/");
      const normalised = plan.server.normalizePath(raw);
      if (normalised instanceof PathRejection) throw new Error(`refused ${raw}: ${normalised.detail}`);
      const want = rfcRemoveDotSegments(decodeDotsOnce(raw));
      expect(normalised).toBe(want);
      const expected = want === "/public" || want.startsWith("/public/") ? "public" : want === "/admin" || want.startsWith("/admin/") ? "admin" : null;
      expect(routeOf(normalised)).toBe(expected);
    }),
    fuzzParams(RUNS),
  );
}, fuzzTimeout(RUNS));

// One test per kind of config error: the exact line:col and the words that make it actionable.
import { test, expect } from "bun:test";
import { brief, at, UPSTREAMS } from "./helpers.ts";

const ROUTE = `routes:\n  - name: users\n    upstream: users\n`;
/** The minimal valid config plus `extra` YAML at the top. */
const withTop = (extra: string) => `${extra}${UPSTREAMS}${ROUTE}`;

/** Asserts exactly one error, at the position of `needle` (n-th occurrence), containing all `words`. */
function expectOne(text: string, needle: string, words: string[], nth = 0): string {
  const errors = brief(text);
  expect(errors).toHaveLength(1);
  expect(errors[0]!.split(" ")[0]).toBe(at(text, needle, nth));
  for (const w of words) expect(errors[0]).toContain(w);
  return errors[0]!;
}

test("YAML syntax error has file:line:col", () => {
  const text = withTop("listen: { port: 8080\nadmin: false\n");
  expect(brief(text)[0]).toMatch(/^2:1 YAML: /);
});

test("duplicate YAML keys", () => {
  const text = withTop("listen: { port: 1 }\nlisten: { port: 2 }\n");
  expectOne(text, "listen", ["YAML", "unique"], 1);
});

test("misspelled key is reported at that key's own line:col, with a suggestion", () => {
  const text = `${UPSTREAMS}routes:\n  - name: users\n    match:\n      pathPrefx: /api/users\n    upstream: users\n`;
  const e = expectOne(text, "pathPrefx", []);
  expect(e).toBe(
    `${at(text, "pathPrefx")} unknown key "pathPrefx" in routes[0].match; expected one of: host, path, pathPrefix, methods, headers (did you mean "pathPrefix"?)`,
  );
});

test("unknown top-level key", () => {
  expectOne(withTop("listn: { port: 1 }\n"), "listn", ['unknown key "listn" at the top level', "listen", 'did you mean "listen"']);
});

test("unknown key with no close match has no suggestion", () => {
  const e = expectOne(withTop("server: { zzzz: 1 }\n"), "zzzz", ['unknown key "zzzz" in server', "drainTimeout, idleTimeout, maxRequestBody"]);
  expect(e).not.toContain("did you mean");
});

test("__proto__ is just an unknown key", () => {
  expectOne(withTop("__proto__: { admin: false }\n"), "__proto__", ['unknown key "__proto__"']);
});

test("wrong type for a duration", () => {
  const text = `${UPSTREAMS}${ROUTE}    timeout: 5\n`;
  expect(brief(text)).toEqual([`${at(text, "5\n")} routes[0].timeout: expected a duration like "250ms" or "2s", got 5`]);
});

test("badly written duration, size and zero timeout", () => {
  const text = `server: { drainTimeout: 5 seconds, maxRequestBody: 1 mb }\n${UPSTREAMS}    connectTimeout: 0s\n${ROUTE}`;
  expect(brief(text)).toEqual([
    `${at(text, "5 seconds")} server.drainTimeout: expected a duration like "250ms" or "2s", got "5 seconds"`,
    `${at(text, "1 mb")} server.maxRequestBody: expected a size like "16kb" or "1mb", got "1 mb"`,
    `${at(text, "0s")} upstreams.users.connectTimeout: expected a duration greater than 0, got "0s"`,
  ]);
});

test("enum value with a suggestion", () => {
  expectOne(`${UPSTREAMS}    balance: round_robin\n${ROUTE}`, "round_robin", [
    "upstreams.users.balance: expected p2c, round-robin, weighted, or { hash: <key part> }",
    'got "round_robin"',
    'did you mean "round-robin"',
  ]);
});

test("ports outside 0..65535", () => {
  const text = withTop("listen: { port: 65536 }\nadmin: { port: -1 }\n");
  expect(brief(text)).toEqual([
    `${at(text, "65536")} listen.port: expected a port number from 0 to 65535, got 65536`,
    `${at(text, "-1")} admin.port: expected a port number from 0 to 65535, got -1`,
  ]);
});

test("a port written as text or a fraction", () => {
  expectOne(withTop('listen: { port: "8080" }\n'), '"8080"', ['listen.port: expected a port number from 0 to 65535, got "8080"']);
  expectOne(withTop("listen: { port: 80.5 }\n"), "80.5", ["got 80.5"]);
});

test("admin: true is not a thing (false disables it)", () => {
  expectOne(withTop("admin: true\n"), "true", ["admin: expected false or a mapping"]);
});

test("admin and listen on the same port", () => {
  expectOne(withTop("listen: { port: 9000 }\nadmin: { port: 9000 }\n"), "9000", ["admin and listen both use port 9000", "admin: false"], 1);
  expectOne(withTop("listen: { port: 9901 }\n"), "9901", ["both use port 9901"]);
});

test("undefined upstream lists the defined ones", () => {
  const text = `upstreams:\n  users: { endpoints: ["http://127.0.0.1:9001"] }\n  orders: { endpoints: ["http://127.0.0.1:9002"] }\nroutes:\n  - { name: a, upstream: users }\n  - { name: b, upstream: user }\n`;
  expect(brief(text)).toEqual([`${at(text, "user }")} routes[1].upstream: no upstream named "user"; defined: users, orders (did you mean "users"?)`]);
});

test("duplicate route names point at the second and name the first's line", () => {
  const text = `${UPSTREAMS}routes:\n  - name: users\n    upstream: users\n  - name: users\n    upstream: users\n`;
  const first = at(text, "users", 1).split(":")[0];
  expectOne(text, "users", ['routes[1].name: duplicate route name "users"', `routes[0] at line ${first}`], 3);
});

test("no routes, no upstreams, missing keys", () => {
  const empty = "upstreams: {}\nroutes: []\n";
  expect(brief(empty)).toEqual([
    `${at(empty, "{}")} upstreams: expected a mapping of upstream names to upstreams (at least one), got an empty mapping`,
    `${at(empty, "[]")} routes: expected a list of routes (at least one), got an empty list`,
  ]);
  expect(brief("listen: { port: 1 }\n")).toEqual(['1:1 missing required key "upstreams"', '1:1 missing required key "routes"']);
  const noUpstream = `${UPSTREAMS}routes:\n  - name: users\n`;
  expectOne(noUpstream, "name", ['routes[0]: missing required key "upstream"']);
});

test("an empty file", () => {
  expect(brief("")).toEqual(["1:1 expected a mapping with at least upstreams and routes, got nothing (an empty value)"]);
  expect(brief("# only a comment\n")[0]).toStartWith("1:1 expected a mapping");
});

test("path and pathPrefix both given", () => {
  const text = `${UPSTREAMS}routes:\n  - name: users\n    match: { pathPrefix: /a, path: /b }\n    upstream: users\n`;
  expectOne(text, "path:", ["routes[0].match: give either path (exact) or pathPrefix, not both"]);
});

test("stripPrefix without pathPrefix", () => {
  const text = `${ROUTE.replace("users\n", "users\n    match: { path: /a }\n")}    stripPrefix: true\n${UPSTREAMS}`;
  expectOne(text, "stripPrefix", ["routes[0].stripPrefix: needs match.pathPrefix"]);
});

test.each([
  ["https://127.0.0.1:9001", "https endpoints are not supported yet"],
  ["http://127.0.0.1:9001/api", "without path, query or fragment"],
  ["http://127.0.0.1:9001?x=1", "without path, query or fragment"],
  ["127.0.0.1:9001", 'expected a URL like "http://127.0.0.1:9001"'],
  ["ftp://h:21", 'scheme "ftp" is not supported'],
  ["http://h:0", "port must be from 1 to 65535"],
  ["http://h:70000", "port must be from 1 to 65535"],
  ["http://u:p@h:1", "must not contain credentials"],
  ["http://:80", "bad host"],
])("endpoint %p is refused: %s", (url, words) => {
  const text = `upstreams:\n  users:\n    endpoints:\n      - "http://127.0.0.1:9000"\n      - "${url}"\n${ROUTE}`;
  expectOne(text, `"${url}"`, ["upstreams.users.endpoints[1]: ", words]);
});

test("path and pathPrefix must start with /", () => {
  const text = `${UPSTREAMS}routes:\n  - name: users\n    match: { pathPrefix: api }\n    upstream: users\n  - name: b\n    match: { path: "/a?b=1" }\n    upstream: users\n`;
  expect(brief(text)).toEqual([
    `${at(text, "api }")} routes[0].match.pathPrefix: expected a path prefix starting with "/" (no query), got "api"`,
    `${at(text, '"/a?b=1"')} routes[1].match.path: expected a path starting with "/" (no query), got "/a?b=1"`,
  ]);
});

test("idleTimeout over 255s", () => {
  expectOne(withTop("server: { idleTimeout: 5m }\n"), "5m", ["server.idleTimeout: at most 255s", 'got "5m"']);
});

test("bad upstream name and bad header name are reported at the key", () => {
  const text = `upstreams:\n  "users v2": { endpoints: ["http://h:1"] }\nroutes:\n  - name: a\n    upstream: users v2\n    match: { headers: { "x tenant": a } }\n`;
  const errors = brief(text);
  expect(errors).toContain(`${at(text, '"users v2"')} upstreams: invalid key "users v2"; expected an upstream name of letters, digits, _ . -`);
  expect(errors).toContain(`${at(text, '"x tenant"')} routes[0].match.headers: invalid key "x tenant"; expected an HTTP header name`);
});

test("a header value must be a string", () => {
  expectOne(`${UPSTREAMS}${ROUTE}    match: { headers: { x-n: 42 } }\n`, "42", ['routes[0].match.headers.x-n: expected a header value (quote numbers: "42"), got 42']);
});

test("a route that is not a mapping", () => {
  expectOne(`${UPSTREAMS}${ROUTE}  - users\n`, "users", ["routes[1]: expected a route mapping", 'got "users"'], 3);
});

test("all errors are reported, sorted by position", () => {
  const text = `${UPSTREAMS}    balance: nope\nroutes:\n  - name: a\n    upstream: missing\n    timeout: 1 s\nlisten: { port: 99999 }\n`;
  const errors = brief(text);
  expect(errors.map((e) => e.split(" ")[0])).toEqual([at(text, "nope"), at(text, "missing"), at(text, "1 s"), at(text, "99999")]);
});

// ---- limits -------------------------------------------------------------------------------------

const limitRoute = (rateLimit: string, match = "") => `${UPSTREAMS}routes:\n  - name: users\n    upstream: users\n${match}    rateLimit: ${rateLimit}\n`;

test("an undefined rate-limit policy lists the defined ones, with a suggestion", () => {
  const text = `rateLimits:\n  per-ip: { rate: 10/s }\n${limitRoute("per-ipp")}`;
  expectOne(text, "per-ipp", ['no rate-limit policy named "per-ipp"', "defined under rateLimits: per-ip", 'did you mean "per-ip"']);
});

test("a badly written rate", () => {
  expectOne(limitRoute("{ rate: 5/x }"), "5/x", ['expected a rate like "100/s"', '"5/x"']);
});

test("burst 0 and a bad key part", () => {
  expectOne(limitRoute("{ rate: 5/s, burst: 0 }"), "0 }", ["burst", "a whole number from 1"]);
  expectOne(limitRoute("{ rate: 5/s, key: ip }"), "ip }", ["key", "clientIp, route, header:<name>, param:<name>", "got \"ip\""]);
});

test("a param key part needs that :param in the route's path", () => {
  const text = limitRoute("{ rate: 5/s, key: param:id }", "    match: { path: /users/:uid }\n");
  expectOne(text, "{ rate: 5/s, key: param:id }", ['key part "param:id" needs a :id segment', "the route's path params: :uid"]);
});

test("a shared policy needs a redis section; a lease TTL under 100ms is refused", () => {
  expectOne(`rateLimits:\n  a: { rate: 1/s, shared: true }\n${limitRoute("a")}`, "shared", ["rateLimits.a.shared: needs a redis"]);
  const text = `redis: { url: "redis://127.0.0.1:6379" }\nrateLimits:\n  a: { rate: 1/s, shared: { leaseTtl: 20ms } }\n${limitRoute("a")}`;
  expectOne(text, "20ms", ["leaseTtl: at least 100ms"]);
});

test("trustedProxies entries must be addresses or CIDRs", () => {
  expectOne(withTop("server: { trustedProxies: [ 10.0.0.0/8, 10.0.0.0/33 ] }\n"), "10.0.0.0/33", ["server.trustedProxies[1]", "prefix length"]);
  expectOne(withTop("server: { trustedProxies: [ bogus ] }\n"), "bogus", ["not an IP address or CIDR"]);
});

test("maxHeaderBytes above Bun's 16kb cap", () => {
  expectOne(withTop("server: { maxHeaderBytes: 32kb }\n"), "32kb", ["at most 16kb"]);
});

test("concurrency needs max; adaptive is true or a mapping", () => {
  expectOne(`${UPSTREAMS}routes:\n  - name: users\n    upstream: users\n    concurrency: { queue: 5 }\n`, "{ queue: 5 }", ['missing required key "max"']);
  expectOne(`${UPSTREAMS}routes:\n  - name: users\n    upstream: users\n    concurrency: { max: 5, adaptive: yes }\n`, "yes", ["adaptive", "true, false or a mapping"]);
});

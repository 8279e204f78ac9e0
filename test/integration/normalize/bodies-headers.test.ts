// JSON body rules, validation, header rules and error envelopes through the running gateway, with
// a real backend that records what it received and answers what each test asks for.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { startBackend, type Backend } from "../../support/backend.ts";
import { startKeel, type TestGateway } from "../../support/gateway.ts";

const USER = {
  user_name: "Ada",
  email: "ADA@Example.COM",
  score: "42.5",
  active: "true",
  password_hash: "x",
  created: 1700000000,
  items: [{ item_id: 1, created_at: "2024-01-02T03:04:05Z" }],
};

// Response bodies in these tests are JSON whose shape each test states.
const j = (r: Response): Promise<any> => r.json();

describe("JSON bodies, validation, headers and error envelopes", () => {
  let backend: Backend;
  let gw: TestGateway;
  /** What the backend answers next, by path. */
  const answers = new Map<string, () => Response>();

  beforeAll(() => {
    backend = startBackend((_req, rec) => {
      const path = rec.target.split("?")[0]!;
      const make = answers.get(path);
      if (make) return make();
      return Response.json({ target: rec.target, body: rec.body, contentType: rec.headers.get("content-type") });
    });
    gw = startKeel(`upstreams:
  backend: { endpoints: ["http://${backend.authority}"] }
routes:
  - name: users
    match: { pathPrefix: /users }
    upstream: backend
    normalize:
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
  - name: orders
    match: { path: /orders/:id, methods: [POST, PUT] }
    upstream: backend
    validate:
      body:
        type: object
        required: [sku, qty]
        properties:
          sku: { type: string }
          qty: { type: integer, minimum: 1 }
      params:
        type: object
        properties: { id: { type: integer } }
      query:
        type: object
        properties: { dryRun: { type: boolean } }
    normalize:
      request:
        json:
          keys: snake_case
          coerce: { qty: integer }
          maxBytes: 1kb
          maxDepth: 4
  - name: headers
    match: { pathPrefix: /headers }
    upstream: backend
    normalize:
      request:
        headers:
          set: { x-route: "{route}", x-user-id: "{header.x-user}", x-request: "{requestId}" }
          add: { x-tag: "keel" }
          remove: [ cookie ]
          rename: { x-old: x-new }
          canonicalContentType: true
      response:
        headers:
          set: { x-served-by: "keel/{route}" }
          removeServerHeaders: true
          canonicalContentType: true
  - name: errors
    match: { pathPrefix: /errors }
    upstream: backend
    normalize:
      response:
        errors: problem
  - { name: plain, match: { pathPrefix: / }, upstream: backend }
`);
  });

  afterAll(async () => {
    await gw?.stop();
    backend?.stop();
  });

  const url = (p: string) => `${gw.url}${p}`;

  test("response rules: the example rules on a backend body, Content-Length recomputed", async () => {
    answers.set("/users/1", () => Response.json(USER));
    const res = await fetch(url("/users/1"));
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(Number(res.headers.get("content-length"))).toBe(Buffer.byteLength(text));
    expect(JSON.parse(text)).toEqual({
      userName: "Ada",
      email: "ada@example.com",
      score: 42.5,
      active: true,
      created: "2023-11-14T22:13:20.000Z",
      items: [{ itemId: 1, createdAt: "2024-01-02T03:04:05Z" }],
      tags: [],
    });
  });

  test("a gzip-encoded backend body is decoded, rewritten and sent plain", async () => {
    answers.set("/users/gz", () => new Response(gzipSync(JSON.stringify(USER)), { headers: { "content-type": "application/json", "content-encoding": "gzip" } }));
    const res = await fetch(url("/users/gz"), { headers: { "accept-encoding": "gzip" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-encoding")).toBeNull();
    expect((await j(res)).userName).toBe("Ada");
    // The route asked the backend for identity encoding.
    expect(backend.requests.at(-1)!.headers.get("accept-encoding")).toBeNull();
  });

  test("invalid JSON, too deep, or too large from the backend → 502 with its own code", async () => {
    answers.set("/users/bad", () => new Response("{not json", { headers: { "content-type": "application/json" } }));
    answers.set("/users/deep", () => new Response("[".repeat(20) + "]".repeat(20), { headers: { "content-type": "application/json" } }));
    answers.set("/users/big", () => Response.json({ blob: "x".repeat(10_000) }));
    answers.set("/users/huge-number", () => new Response('{"user_name":"Ada","items":[{"price":1e400}]}', { headers: { "content-type": "application/json" } }));
    for (const [path, code] of [["/users/bad", "KEEL_UPSTREAM_INVALID_JSON"], ["/users/deep", "KEEL_UPSTREAM_INVALID_JSON"], ["/users/big", "KEEL_UPSTREAM_BODY_TOO_LARGE"], ["/users/huge-number", "KEEL_UPSTREAM_INVALID_JSON"]] as const) {
      const res = await fetch(url(path));
      expect(res.status).toBe(502);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      const p = await j(res);
      expect(p.code).toBe(code);
      expect(p.route).toBe("users");
    }
    // Never written on as null: the detail says which number and why.
    const p = await j(await fetch(url("/users/huge-number")));
    expect(p.detail).toContain("the number at /items/0/price is beyond the range of a double");
  });

  test("a coercion the backend body cannot take → 502 KEEL_UPSTREAM_JSON_RULE_FAILED with a pointer", async () => {
    answers.set("/users/odd", () => Response.json({ ...USER, score: "lots" }));
    const res = await fetch(url("/users/odd"));
    expect(res.status).toBe(502);
    const p = await j(res);
    expect(p.code).toBe("KEEL_UPSTREAM_JSON_RULE_FAILED");
    expect(p.pointer).toBe("/score");
  });

  test("non-JSON and error answers on a JSON-rule route pass through untouched", async () => {
    answers.set("/users/text", () => new Response("hello", { headers: { "content-type": "text/plain" } }));
    answers.set("/users/missing", () => Response.json({ user_name: "nobody" }, { status: 404 }));
    expect(await (await fetch(url("/users/text"))).text()).toBe("hello");
    const res = await fetch(url("/users/missing"));
    expect(res.status).toBe(404);
    expect(await j(res)).toEqual({ user_name: "nobody" });
  });

  test("request rules: validated, then rewritten; the backend gets the new body with its length", async () => {
    const res = await fetch(url("/orders/7?dryRun=true"), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ sku: "A-1", qty: 2, giftWrap: true }) });
    expect(res.status).toBe(200);
    const seen = await j(res);
    expect(JSON.parse(seen.body)).toEqual({ sku: "A-1", qty: 2, gift_wrap: true });
    expect(backend.requests.at(-1)!.headers.get("content-length")).toBe(String(Buffer.byteLength(seen.body)));
  });

  test("validation: each error listed with its JSON Pointer, nothing forwarded", async () => {
    const before = backend.requests.length;
    const res = await fetch(url("/orders/x?dryRun=maybe"), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ qty: 0 }) });
    expect(res.status).toBe(400);
    const p = await j(res);
    expect(p.code).toBe("KEEL_VALIDATION_FAILED");
    const where = p.errors.map((e: { in: string; pointer: string }) => `${e.in}:${e.pointer}`).sort();
    expect(where).toEqual(["body:/qty", "body:/sku", "params:/id", "query:/dryRun"]);
    expect(backend.requests.length).toBe(before);
  });

  test("invalid JSON from the client → 400 KEEL_INVALID_JSON; too large → 413; not JSON → 415; too deep → 400", async () => {
    const post = (body: string, type = "application/json") => fetch(url("/orders/1"), { method: "POST", headers: { "content-type": type }, body });
    const cases: [Promise<Response>, number, string][] = [
      [post("{\"sku\": "), 400, "KEEL_INVALID_JSON"],
      [post(JSON.stringify({ sku: "x".repeat(2000), qty: 1 })), 413, "KEEL_REQUEST_BODY_TOO_LARGE"],
      [post("sku=1", "application/x-www-form-urlencoded"), 415, "KEEL_UNSUPPORTED_MEDIA_TYPE"],
      [post(JSON.stringify({ sku: "a", qty: 1, x: [[[[[1]]]]] })), 400, "KEEL_INVALID_JSON"],
      [post(new TextDecoder("latin1").decode(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]))), 200, ""],
    ];
    for (const [pending, status, code] of cases.slice(0, 4)) {
      const res = await pending;
      expect(res.status).toBe(status);
      expect((await j(res)).code).toBe(code);
    }
  });

  test("invalid UTF-8 in a client body → 400 KEEL_INVALID_JSON", async () => {
    const body = new Uint8Array([0x7b, 0x22, 0x73, 0x6b, 0x75, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    const res = await fetch(url("/orders/1"), { method: "POST", headers: { "content-type": "application/json" }, body });
    expect(res.status).toBe(400);
    expect((await j(res)).code).toBe("KEEL_INVALID_JSON");
  });

  test("header rules both ways, with values from the request", async () => {
    answers.set("/headers/x", () => new Response("{}", { headers: { "content-type": "Application/JSON;Charset=UTF-8", server: "Apache/2.4", "x-powered-by": "PHP" } }));
    const res = await fetch(url("/headers/x"), { headers: { cookie: "a=1", "x-user": "u-7", "x-old": "v", "content-type": "Text/Plain;Charset=UTF-8" }, method: "POST", body: "hi" });
    expect(res.status).toBe(200);
    const h = backend.requests.at(-1)!.headers;
    expect(h.get("x-route")).toBe("headers");
    expect(h.get("x-user-id")).toBe("u-7");
    expect(h.get("x-request")).toBe(res.headers.get("x-request-id"));
    expect(h.get("x-tag")).toBe("keel");
    expect(h.get("cookie")).toBeNull();
    expect(h.get("x-old")).toBeNull();
    expect(h.get("x-new")).toBe("v");
    expect(h.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(res.headers.get("x-served-by")).toBe("keel/headers");
    expect(res.headers.get("server")).not.toBe("Apache/2.4");
    expect(res.headers.get("x-powered-by")).toBeNull();
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
  });

  test("error envelopes: backend 4xx/5xx of any shape become problem+json with the backend status", async () => {
    answers.set("/errors/json", () => Response.json({ message: "order 9 not found", code: "E_NOT_FOUND" }, { status: 404 }));
    answers.set("/errors/text", () => new Response("database is down\n", { status: 503, headers: { "content-type": "text/plain" } }));
    answers.set("/errors/empty", () => new Response(null, { status: 500 }));
    answers.set("/errors/ok", () => Response.json({ fine: true }));
    const json = await fetch(url("/errors/json"));
    expect(json.status).toBe(404);
    expect(json.headers.get("content-type")).toBe("application/problem+json");
    const p = await j(json);
    expect(p).toMatchObject({ code: "KEEL_UPSTREAM_ERROR_RESPONSE", status: 404, detail: "order 9 not found", upstreamStatus: 404, route: "errors", upstream: "backend" });
    expect(p.upstreamBody).toEqual({ message: "order 9 not found", code: "E_NOT_FOUND" });
    const text = await fetch(url("/errors/text"));
    expect(text.status).toBe(503);
    expect((await j(text)).detail).toBe("database is down");
    const empty = await fetch(url("/errors/empty"));
    expect(empty.status).toBe(500);
    expect((await j(empty)).code).toBe("KEEL_UPSTREAM_ERROR_RESPONSE");
    const ok = await fetch(url("/errors/ok"));
    expect(await j(ok)).toEqual({ fine: true });
  });

  test("routes without body rules stream: a large body passes untouched and unbuffered", async () => {
    const big = "y".repeat(2_000_000);
    answers.set("/plain/big", () => new Response(big, { headers: { "content-type": "application/json" } }));
    const res = await fetch(url("/plain/big"));
    expect((await res.text()).length).toBe(big.length);
  });

  test("problems are counted in /metrics by route and code", async () => {
    const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(text).toContain('keel_problems_total{route="orders",code="KEEL_VALIDATION_FAILED"}');
    expect(text).toContain('keel_problems_total{route="errors",code="KEEL_UPSTREAM_ERROR_RESPONSE"}');
  });
});

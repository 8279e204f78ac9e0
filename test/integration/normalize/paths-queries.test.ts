// Paths and query strings through the running gateway: the request bytes go over a raw socket (a
// fetch client would clean the path itself), the backend records what it received.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startBackend, type Backend } from "../../support/backend.ts";
import { startKeel, type TestGateway } from "../../support/gateway.ts";
import { parseResponse, rawRequest, responseComplete } from "../../support/raw-client.ts";

describe("path and query normalisation", () => {
  let backend: Backend;
  let secret: Backend;
  let strict: TestGateway;
  let gw: TestGateway;

  beforeAll(() => {
    backend = startBackend();
    secret = startBackend();
    gw = startKeel(`upstreams:
  backend: { endpoints: ["http://${backend.authority}"] }
  secret: { endpoints: ["http://${secret.authority}"] }
routes:
  - { name: secret, match: { pathPrefix: /secret }, upstream: secret }
  - name: strict
    match: { pathPrefix: /strict }
    upstream: backend
    normalize:
      path: { mergeSlashes: true, encodedSlash: reject, backslash: reject, encodedControl: reject }
  - name: search
    match: { pathPrefix: /search }
    upstream: backend
    normalize:
      query: { sort: true, drop: [utm_source, utm_medium], repeated: last }
  - name: listing
    match: { pathPrefix: /listing }
    upstream: backend
    normalize:
      query: { allow: [page, size], repeated: reject }
  - { name: public, match: { pathPrefix: /public }, upstream: backend }
`);
    strict = startKeel(`server:
  drainTimeout: 200ms
  normalize:
    path: { mergeSlashes: true, nul: reject, encodedSlash: reject, encodedControl: reject }
upstreams:
  backend: { endpoints: ["http://${backend.authority}"] }
routes:
  - { name: public, match: { pathPrefix: /public }, upstream: backend }
`);
  });

  afterAll(async () => {
    await gw?.stop();
    await strict?.stop();
    backend?.stop();
    secret?.stop();
  });

  async function get(g: TestGateway, target: string) {
    const before = backend.requests.length;
    const r = await rawRequest(g.port, `GET ${target} HTTP/1.1\r\nHost: keel.test\r\nConnection: close\r\n\r\n`, { until: responseComplete });
    const res = parseResponse(r.text);
    const seen = backend.requests.length > before ? backend.requests[backend.requests.length - 1]!.target : null;
    return { status: res.status, body: res.body, seen };
  }

  // [request target, what the backend must see] on the default listener options.
  const FORWARDED: [string, string][] = [
    ["/public/a/./b/../c", "/public/a/c"],
    ["/public/a/%2e%2E/c", "/public/c"],
    ["/public/%7Euser/%41%62", "/public/~user/Ab"],
    ["/public/x%2fy", "/public/x%2Fy"],
    ["/public/caf%c3%a9", "/public/caf%C3%A9"],
    ["/public//double", "/public//double"],
    ["/public/a/b/..", "/public/a/"],
    ["/public/a%0d%0ab", "/public/a%0D%0Ab"],
  ];
  for (const [target, seen] of FORWARDED) {
    test(`${target} is forwarded as ${seen}`, async () => {
      const r = await get(gw, target);
      expect(r.status).toBe(200);
      expect(r.seen).toBe(seen);
    });
  }

  test("traversal in any encoding is resolved before routing: it reaches the route it names, never another", async () => {
    for (const target of ["/public/../secret/x", "/public/%2e%2e/secret/x", "/public/.%2E/secret/x", "/public/%2E./secret/x"]) {
      const before = secret.requests.length;
      const r = await get(gw, target);
      // The normalised path is /secret/x: the secret route answers it as its own, by name.
      expect(r.status).toBe(200);
      expect(secret.requests.length).toBe(before + 1);
      expect(secret.requests.at(-1)!.target).toBe("/secret/x");
    }
  });

  test("an invalid percent escape is a 400 KEEL_BAD_PATH and reaches no backend", async () => {
    for (const target of ["/public/%zz", "/public/%4", "/public/%00"]) {
      const r = await get(gw, target);
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body).code).toBe("KEEL_BAD_PATH");
      expect(r.seen).toBeNull();
    }
  });

  test("route options: merged slashes forwarded, encoded slash and backslash rejected", async () => {
    expect((await get(gw, "/strict//a///b")).seen).toBe("/strict/a/b");
    for (const target of ["/strict/a%2Fb", "/strict/a%5Cb", "/strict/a%0D%0ASet-Cookie:%20x"]) {
      const r = await get(gw, target);
      expect(r.status).toBe(400);
      const problem = JSON.parse(r.body);
      expect(problem.code).toBe("KEEL_BAD_PATH");
      expect(problem.route).toBe("strict");
      expect(r.seen).toBeNull();
    }
  });

  test("listener options apply before routing", async () => {
    expect((await get(strict, "/public//x//y")).seen).toBe("/public/x/y");
    for (const [target, names] of [["/public/a%2fb", "encoded slash"], ["/public/a%09b", 'encoded control character "%09" at byte 9']] as const) {
      const r = await get(strict, target);
      expect(r.status).toBe(400);
      const problem = JSON.parse(r.body);
      expect(problem.code).toBe("KEEL_BAD_PATH");
      expect(problem.detail).toContain(names);
      expect(r.seen).toBeNull();
    }
  });

  test("query: sorted, tracking parameters dropped, last of a repeated name kept", async () => {
    const r = await get(gw, "/search?z=1&utm_source=x&a=2&q=keel&a=3&utm_medium=y");
    expect(r.status).toBe(200);
    expect(r.seen).toBe("/search?a=3&q=keel&z=1");
  });

  test("query: allow-list keeps only named parameters; a repeated one is a 400 KEEL_BAD_QUERY", async () => {
    expect((await get(gw, "/listing?page=2&debug=1&size=10")).seen).toBe("/listing?page=2&size=10");
    expect((await get(gw, "/listing?debug=1")).seen).toBe("/listing");
    const r = await get(gw, "/listing?page=1&page=2");
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).code).toBe("KEEL_BAD_QUERY");
    expect(r.seen).toBeNull();
  });

  test("the gateway keeps serving after every refusal", async () => {
    expect((await get(gw, "/public/ok")).status).toBe(200);
  });
});

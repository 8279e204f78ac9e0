// Which path rewrites a JSON body, through the running gateway: ordinary bodies take the byte
// path (one pass over the bytes), bodies it hands back (duplicate keys, a failing conversion)
// the tree path, and both answer the same bytes; keel_json_bodies_total says which ran.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { EXAMPLE_JSON_RULES } from "../../../src/normalize/json/example-rules.ts";
import { startBackend, type Backend } from "../../support/backend.ts";
import { startKeel, type TestGateway } from "../../support/gateway.ts";

const RULES = JSON.stringify(EXAMPLE_JSON_RULES);
const USER = `{"user_id":7,"user_name":"Ada","email":"ADA@Example.COM","score":"42.5","active":"true","password_hash":"x","created":1700000000,"items":[{"item_id":1,"created_at":"2024-01-02T03:04:05Z"}]}`;
const EXPECTED = `{"userId":7,"userName":"Ada","email":"ada@example.com","score":42.5,"active":true,"created":"2023-11-14T22:13:20.000Z","items":[{"itemId":1,"createdAt":"2024-01-02T03:04:05Z"}],"tags":[]}`;

describe("JSON bodies: byte path and tree path", () => {
  let backend: Backend;
  let gw: TestGateway;
  let answer = USER;

  beforeAll(() => {
    backend = startBackend((_req, rec) => (rec.target.startsWith("/echo") ? new Response(rec.body, { headers: { "content-type": "application/json" } }) : new Response(answer, { headers: { "content-type": "application/json" } })));
    gw = startKeel(`upstreams:
  backend: { endpoints: ["http://${backend.authority}"] }
routes:
  - name: users
    match: { pathPrefix: /users }
    upstream: backend
    normalize: { response: { json: ${RULES} } }
  - name: echo
    match: { pathPrefix: /echo }
    upstream: backend
    normalize: { request: { json: { keys: snake_case } } }
`);
  });
  afterAll(async () => {
    await gw?.stop();
    backend?.stop();
  });

  async function counts(route: string, direction: string): Promise<{ bytes: number; tree: number }> {
    const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    const read = (path: string) => Number(text.match(new RegExp(`keel_json_bodies_total\\{route="${route}",direction="${direction}",path="${path}"\\} (\\d+)`))?.[1] ?? 0);
    return { bytes: read("bytes"), tree: read("tree") };
  }

  test("ordinary responses take the byte path, and answer what the rules say", async () => {
    answer = USER;
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${gw.url}/users/1`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(EXPECTED);
    }
    expect(await counts("users", "response")).toEqual({ bytes: 3, tree: 0 });
  });

  test("a body with a duplicate key goes the tree path (the last value wins), same rules", async () => {
    answer = USER.replace(`"user_id":7`, `"user_id":6,"user_id":7`);
    const res = await fetch(`${gw.url}/users/1`);
    expect(await res.text()).toBe(EXPECTED);
    expect(await counts("users", "response")).toEqual({ bytes: 3, tree: 1 });
  });

  test("a failing conversion is worded by the tree path", async () => {
    answer = USER.replace(`"score":"42.5"`, `"score":"high"`);
    const res = await fetch(`${gw.url}/users/1`);
    expect(res.status).toBe(502);
    const problem = (await res.json()) as { code: string; pointer: string };
    expect(problem.code).toBe("KEEL_UPSTREAM_JSON_RULE_FAILED");
    expect(problem.pointer).toBe("/score");
  });

  test("request bodies take the byte path too", async () => {
    const res = await fetch(`${gw.url}/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: `{"userId": 1, "homeAddress": {"postCode": "X"}}` });
    expect(await res.text()).toBe(`{"user_id":1,"home_address":{"post_code":"X"}}`);
    expect(await counts("echo", "request")).toEqual({ bytes: 1, tree: 0 });
  });
});

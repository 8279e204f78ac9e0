// The documented examples in examples/hooks/ load and do what their comments say.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { FlatHeaders } from "../../src/hooks/flat-headers.ts";
import { loadHookModule } from "../../src/hooks/load-hooks.ts";
import { checkReply } from "../../src/hooks/check-reply.ts";
import type { HookModule, HookRequest, HookResponse } from "../../src/hooks/types.ts";

const dir = join(import.meta.dir, "../../examples/hooks");

function load(file: string): HookModule {
  const r = loadHookModule(file, dir);
  if (!r.ok) throw new Error(r.message);
  return r.module;
}

function request(flat: string[]): HookRequest {
  return { method: "GET", path: "/users/1", query: "", headers: new FlatHeaders(flat), body: undefined, route: "users", params: { id: "1" }, clientIp: "10.0.0.1", requestId: "req-1" };
}

describe("require-api-key.ts", () => {
  const { onRequest } = load("./require-api-key.ts");

  test("no x-api-key → a 401 reply", async () => {
    const reply = checkReply(await onRequest!(request([])));
    expect(reply).toMatchObject({ status: 401 });
  });

  test("an unknown key → 401", async () => {
    expect(checkReply(await onRequest!(request(["x-api-key", "guess"])))).toMatchObject({ status: 401 });
  });

  test("a known key → forwarded with x-user (replacing the client's own) and without the key", async () => {
    const flat = ["x-user", "mallory", "x-api-key", "demo-key-alice"];
    expect(await onRequest!(request(flat))).toBeUndefined();
    expect(flat).toEqual(["x-user", "alice"]);
  });
});

describe("add-response-envelope.ts", () => {
  const { onResponse } = load("./add-response-envelope.ts");

  test("a JSON body is wrapped with the request id", async () => {
    const res: HookResponse = { status: 200, headers: new FlatHeaders([]), body: [1, 2] };
    await onResponse!(res, request([]));
    expect(res.body).toEqual({ data: [1, 2], requestId: "req-1" });
  });

  test("no parsed body → untouched", async () => {
    const res: HookResponse = { status: 200, headers: new FlatHeaders([]), body: undefined };
    await onResponse!(res, request([]));
    expect(res.body).toBeUndefined();
  });
});

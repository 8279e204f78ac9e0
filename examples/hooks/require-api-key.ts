// onRequest example: answer 401 unless the request carries a known x-api-key, and tell the
// upstream who the caller is in x-user (so upstreams never see or check keys themselves).
//
//   routes:
//     - name: users
//       path: /users/:id
//       upstream: users
//       hooks: { module: ./hooks/require-api-key.ts, timeout: 50ms }
import type { HookReply, OnRequest } from "../../src/hooks/types.ts";

/** Key → user. A real deployment would load this at startup (it runs once, at config load). */
const USERS: ReadonlyMap<string, string> = new Map([
  ["demo-key-alice", "alice"],
  ["demo-key-bob", "bob"],
]);

function unauthorized(detail: string): HookReply {
  return { status: 401, headers: { "www-authenticate": 'ApiKey header="x-api-key"' }, body: { error: "unauthorized", detail } };
}

export const onRequest: OnRequest = (req) => {
  const key = req.headers.get("x-api-key");
  if (key === null) return unauthorized("an x-api-key header is required");
  const user = USERS.get(key);
  if (user === undefined) return unauthorized("unknown API key");
  // set() replaces any x-user the client sent itself: only this hook decides who the caller is.
  req.headers.set("x-user", user);
  req.headers.delete("x-api-key");
};

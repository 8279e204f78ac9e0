// onResponse example: wrap the upstream's JSON body as { data, requestId }, so clients can quote
// the id when reporting a problem.
//
//   routes:
//     - name: orders
//       path: /orders
//       upstream: orders
//       hooks: { module: ./hooks/add-response-envelope.ts }
import type { OnResponse } from "../../src/hooks/types.ts";

export const onResponse: OnResponse = (res, req) => {
  // undefined: not JSON, or the route streams the body; leave those untouched.
  if (res.body === undefined) return;
  res.body = { data: res.body, requestId: req.requestId };
};

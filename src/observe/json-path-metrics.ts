// Which path rewrote each JSON body (docs/normalize.md#how-a-body-is-rewritten): the byte path, or
// the tree path it hands bodies to (errors, duplicate keys, a hook or schema that needs the value).
// A route whose bodies mostly take the tree path is worth a look: its bodies cost more. Counters
// per route and direction, added the first time a pair counts, kept across reloads.
import type { GatewayMetrics } from "./gateway-metrics.ts";

export type JsonDirection = "request" | "response";

export class JsonPathMetrics {
  private readonly rows = new Map<string, { bytes: number; tree: number }>();

  constructor(private readonly metrics: GatewayMetrics) {}

  count(route: string, direction: JsonDirection, byBytes: boolean): void {
    const key = route + "\0" + direction;
    let row = this.rows.get(key);
    if (row === undefined) {
      const r = { bytes: 0, tree: 0 };
      row = r;
      this.rows.set(key, r);
      const help = "JSON bodies rewritten by a route's rules, by the path that did it (bytes: one pass over the bytes; tree: parse, rules, serialise).";
      this.metrics.addCounter("keel_json_bodies_total", help, () => r.bytes, { route, direction, path: "bytes" });
      this.metrics.addCounter("keel_json_bodies_total", help, () => r.tree, { route, direction, path: "tree" });
    }
    if (byBytes) row.bytes++;
    else row.tree++;
  }
}

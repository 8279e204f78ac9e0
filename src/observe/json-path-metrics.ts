// Which path rewrote each JSON body (docs/normalize.md#how-a-body-is-rewritten): the byte path, or
// the tree path it hands bodies to (errors, duplicate keys, a hook or schema that needs the value).
// A route whose bodies mostly take the tree path is worth a look: its bodies cost more. Counters
// per route and direction, added the first time a pair counts, kept across reloads.
import type { GatewayMetrics } from "./gateway-metrics.ts";

export type JsonDirection = "request" | "response";

interface PathCounts {
  bytes: number;
  tree: number;
}

export class JsonPathMetrics {
  // One map per direction keyed by the route's name alone: this counts on every body, and a
  // concatenated key would be a new string to hash each time (~0.5 µs in the profile).
  private readonly rows: Record<JsonDirection, Map<string, PathCounts>> = { request: new Map(), response: new Map() };

  constructor(private readonly metrics: GatewayMetrics) {}

  count(route: string, direction: JsonDirection, byBytes: boolean): void {
    const rows = this.rows[direction];
    let row = rows.get(route);
    if (row === undefined) {
      const r: PathCounts = { bytes: 0, tree: 0 };
      row = r;
      rows.set(route, r);
      const help = "JSON bodies rewritten by a route's rules, by the path that did it (bytes: one pass over the bytes; tree: parse, rules, serialise).";
      this.metrics.addCounter("keel_json_bodies_total", help, () => r.bytes, { route, direction, path: "bytes" });
      this.metrics.addCounter("keel_json_bodies_total", help, () => r.tree, { route, direction, path: "tree" });
    }
    if (byBytes) row.bytes++;
    else row.tree++;
  }
}

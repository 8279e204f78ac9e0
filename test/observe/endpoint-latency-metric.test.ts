// keel_upstream_endpoint_latency_seconds is in seconds: a backend that takes ~30 ms shows a value
// of that order, not one a thousand times off (a units check, not a timing assertion).
import { expect, test } from "bun:test";
import { startBackend } from "../support/backend.ts";
import { oneRoute, startKeel } from "../support/gateway.ts";

test("endpoint latency quantiles are reported in seconds", async () => {
  const backend = startBackend(async () => {
    await Bun.sleep(30);
    return new Response("ok");
  });
  const gw = startKeel(oneRoute([backend.authority]));
  try {
    for (let i = 0; i < 5; i++) await (await fetch(`${gw.url}/x`)).text();
    const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith("keel_upstream_endpoint_latency_seconds{") && l.includes('quantile="0.5"'));
    expect(line).toBeDefined();
    const value = Number(line!.split(" ").at(-1));
    expect(value).toBeGreaterThan(0.01);
    expect(value).toBeLessThan(10);
  } finally {
    await gw.stop();
    backend.stop();
  }
});

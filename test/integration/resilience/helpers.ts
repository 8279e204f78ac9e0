// Shared bits of the tail-control integration tests: reading /metrics series and checking that
// nothing is left in flight after a case.
import { expect } from "bun:test";
import { waitFor, type TestGateway } from "../../support/gateway.ts";

export async function metricsText(gw: TestGateway): Promise<string> {
  return (await fetch(gw.adminUrl + "/metrics")).text();
}

/** The value of one series (`name{labels}` exactly as exposed), NaN when absent. */
export async function series(gw: TestGateway, name: string): Promise<number> {
  const text = await metricsText(gw);
  const line = text.split("\n").find((l) => l.startsWith(name + " "));
  return line === undefined ? NaN : Number(line.slice(name.length + 1));
}

/** In-flight, queued, pending and active-connection gauges all back to 0 (lost races and cancelled attempts included). */
export async function expectNothingInFlight(gw: TestGateway): Promise<void> {
  await waitFor(async () => /\nkeel_upstream_active_connections 0\n/.test(await metricsText(gw)), 2000, "upstream connections to go idle");
  const text = await metricsText(gw);
  expect(text).toContain("keel_requests_in_flight 0\n");
  expect(text).toContain("keel_upstream_active_connections 0\n");
  for (const line of text.split("\n")) {
    if (/^keel_(concurrency_in_flight|concurrency_queued|upstream_in_flight|upstream_pending)\{/.test(line)) expect(line).toMatch(/ 0$/);
  }
}

// The dashboard in a real browser: Debian's chromium, headless, driven by playwright-core, loads
// /dashboard from a real gateway while traffic flows, and every chart must hold data. Writes the
// screenshot kept in docs/dashboard.png. Chromium missing is a failure, not a skip (.ci/run
// installs it).
import { tmpdir } from "node:os";
import { afterAll, expect, test } from "bun:test";
import { chromium, type Browser } from "playwright-core";
import { startGateway, type Gateway } from "../../src/server/gateway-server.ts";
import { startBackend, type Backend } from "../support/backend.ts";
import { planFrom, withDefaults } from "../support/gateway.ts";

// The kept screenshot is rewritten only on request (KEEL_UPDATE_SCREENSHOT=1), so a test run leaves
// the tree clean; otherwise it goes to a temp file (a screenshot is still taken and checked).
const SCREENSHOT = process.env.KEEL_UPDATE_SCREENSHOT === "1" ? new URL("../../docs/dashboard.png", import.meta.url).pathname : `${tmpdir()}/keel-dashboard-${process.pid}.png`;
// Without the background-networking flags Chromium stalls on a closed network.
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

/** The backends: a few ms of work, some 404s and 500s, a slower /orders. */
function backend(): Backend {
  let n = 0;
  return startBackend(async (req) => {
    const path = new URL(req.url).pathname;
    n++;
    if (path.endsWith("/missing")) return new Response("no such thing", { status: 404 });
    if (path.startsWith("/orders")) {
      await Bun.sleep(2 + (n % 7));
      if (n % 23 === 0) return new Response("boom", { status: 500 });
    } else if (n % 50 === 0) {
      await Bun.sleep(6);
    }
    return Response.json({ ok: true });
  });
}

function config(a: Backend, b: Backend): string {
  return withDefaults(`upstreams:
  shop:
    endpoints: ["${a.url}", "${b.url}"]
    concurrency: { max: 16, queue: 32 }
routes:
  - name: users
    match: { pathPrefix: /users }
    upstream: shop
    rateLimit: { rate: 40/s, key: clientIp }
  - name: orders
    match: { pathPrefix: /orders }
    upstream: shop
    concurrency: { max: 4, queue: 16 }
`);
}

/** A gentle mix (3 paced workers): plenty of 2xx, some 404s from the backend and from no route, 429s, 500s. */
function drive(url: string): { stop: () => Promise<void>; sent: () => number } {
  const paths = ["/users/1", "/orders/7", "/users/2", "/orders/8", "/users/missing", "/nowhere", "/orders/9", "/users/3"];
  let running = true;
  let sent = 0;
  const worker = async (w: number) => {
    for (let i = w; running; i++) {
      try {
        const res = await fetch(url + paths[i % paths.length]);
        await res.arrayBuffer();
        sent++;
      } catch {
        // a refused connection while stopping: nothing to count
      }
      await Bun.sleep(4);
    }
  };
  const workers = [0, 1, 2].map(worker);
  return { stop: async () => void ((running = false), await Promise.all(workers)), sent: () => sent };
}

test("the dashboard draws live data in headless Chromium", async () => {
  const executablePath = Bun.which("chromium") ?? Bun.which("chromium-browser");
  if (executablePath === null) {
    throw new Error("chromium is not installed: `apt-get install -y chromium` (Debian's package; .ci/run installs it). This test needs it.");
  }

  const a = backend();
  const b = backend();
  cleanup.push(() => a.stop(), () => b.stop());
  const gw: Gateway = startGateway(planFrom(config(a, b)), { dashboardIntervalMs: 250 });
  cleanup.push(() => gw.drain());
  const traffic = drive(gw.url);
  cleanup.push(() => traffic.stop());

  const browser: Browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  cleanup.push(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const pageErrors: string[] = [];
  page.on("pageerror", (err) => pageErrors.push(err.message));
  await page.goto(`${gw.admin!.url}/dashboard`);

  // Every chart with some samples (8: a screenshot worth keeping), and the codes the traffic produces listed.
  const ready = async () => {
    const points = await page.$$eval("svg.chart", (els) => els.map((e) => Number(e.getAttribute("data-points"))));
    const codes = await page.$$eval("#codes tr[data-code]", (rows) => rows.map((r) => r.getAttribute("data-code")));
    return points.length >= 10 && points.every((p) => p >= 8) && ["KEEL_RATE_LIMITED", "KEEL_ROUTE_NOT_FOUND"].every((c) => codes.includes(c));
  };
  for (const until = Date.now() + 15_000; !(await ready()); await Bun.sleep(100)) {
    if (Date.now() > until) throw new Error("the dashboard's charts did not fill within 15 s");
  }

  const charts = await page.$$eval("svg.chart", (els) => els.map((e) => [e.getAttribute("data-chart"), Number(e.getAttribute("data-points"))] as const));
  const ids = charts.map(([id]) => id);
  for (const route of ["users", "orders", "(none)"]) {
    expect(ids).toContain(`rate:${route}`);
    expect(ids).toContain(`latency:${route}`);
  }
  for (const id of ["limits", "queues", "lag", "memory", "cpu"]) expect(ids).toContain(id);
  for (const [id, points] of charts) expect({ id, points: points >= 2 }).toEqual({ id, points: true });
  // Lines, not just axes: every chart drew at least one path.
  const withLines = await page.$$eval("svg.chart", (els) => els.filter((e) => e.querySelector("path") !== null).length);
  expect(withLines).toBe(charts.length);

  const codes = await page.$$eval("#codes tr[data-code]", (rows) => rows.map((r) => r.getAttribute("data-code")));
  expect(codes).toEqual(expect.arrayContaining(["2xx", "4xx", "5xx", "KEEL_RATE_LIMITED", "KEEL_ROUTE_NOT_FOUND"]));
  const endpoints = await page.$$eval("#upstreams tr[data-endpoint]", (rows) => rows.map((r) => [r.getAttribute("data-endpoint"), r.querySelector(".badge")?.textContent]));
  expect(endpoints).toEqual([
    [a.url, "healthy"],
    [b.url, "healthy"],
  ]);
  expect(await page.textContent("#conn")).toContain("live");
  expect(pageErrors).toEqual([]);
  expect(traffic.sent()).toBeGreaterThan(0);

  // One frame of the whole page: a fullPage capture is stitched over time and would mix renders.
  const height = await page.evaluate("document.documentElement.scrollHeight");
  await page.setViewportSize({ width: 1440, height: Number(height) });
  await page.screenshot({ path: SCREENSHOT });
  expect(Bun.file(SCREENSHOT).size).toBeGreaterThan(10_000);
}, 30_000);

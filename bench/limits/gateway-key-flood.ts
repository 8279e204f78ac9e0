// A flood of distinct client addresses through the running gateway: Keel (core 0) with a per-IP
// rate limit slow enough that no key ever becomes idle (1/h, maxKeys 100,000), a Bun backend and wrk (core 1) sending X-Forwarded-For from
// --keys distinct addresses. Prints the key table size and Keel's RSS before and after.
//   bun bench/limits/gateway-key-flood.ts [--keys 1000000] [--seconds 90]
// Bounded: wrk stops after --seconds; everything started here is stopped at the end.
import { join } from "node:path";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { LUA } from "../lib/wrk.ts";
import { freePort, spawnGroup, stopGroup, treeRssMb } from "../lib/procs.ts";

const ROOT = join(import.meta.dir, "..", "..");
const flag = (name: string, fallback: number) => {
  const i = Bun.argv.indexOf(name);
  return i === -1 ? fallback : Number(Bun.argv[i + 1]);
};
const keys = flag("--keys", 1_000_000);
const seconds = flag("--seconds", 90);
const dir = mkdtempSync(join(tmpdir(), "keel-flood-"));

const backend = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("ok") });
const port = freePort(19100);
const adminPort = freePort(port + 1);
const config = join(dir, "keel.yaml");
writeFileSync(
  config,
  `listen: { port: ${port}, host: 127.0.0.1 }
admin: { port: ${adminPort}, host: 127.0.0.1 }
server: { trustedProxies: [ 127.0.0.1 ] }
rateLimits:
  per-ip: { rate: 1/h, burst: 10, key: clientIp, maxKeys: 100000 }   # a key stays indebted for an hour: never idle
upstreams:
  backend: { endpoints: [ "http://127.0.0.1:${backend.port}" ] }
routes:
  - { name: api, match: { pathPrefix: / }, upstream: backend, rateLimit: per-ip }
`,
);
const keel = spawnGroup("keel", ["taskset", "-c", "0", process.execPath, join(ROOT, "src/cli/main.ts"), "run", config], { log: join(dir, "keel.log"), cwd: ROOT });
const metric = async (name: string) => {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(name));
  return line === undefined ? NaN : Number(line.slice(line.lastIndexOf(" ") + 1));
};
try {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/`)).ok) break;
    } catch {}
    await Bun.sleep(100);
  }
  const before = treeRssMb(keel.pid);
  console.log(`keel up; RSS ${before.toFixed(1)} MB; flooding ${keys} distinct addresses for up to ${seconds} s`);
  const wrk = spawnGroup("wrk", ["taskset", "-c", "1", "wrk", "-t1", "-c50", `-d${seconds}s`, "-s", LUA, `http://127.0.0.1:${port}/`], {
    env: { BENCH_XFF_KEYS: String(keys) },
    log: join(dir, "wrk.txt"),
  });
  let peak = before;
  const tick = setInterval(() => (peak = Math.max(peak, treeRssMb(keel.pid))), 1000);
  await wrk.proc.exited;
  clearInterval(tick);
  const sent = /BENCH requests=(\d+)/.exec(await Bun.file(join(dir, "wrk.txt")).text())?.[1];
  const after = treeRssMb(keel.pid);
  console.log(`requests sent: ${sent} (${Number(sent) >= keys ? "every address at least once" : "fewer than --keys: raise --seconds"})`);
  console.log(`keel_ratelimit_keys ${await metric('keel_ratelimit_keys{policy="per-ip"}')} (maxKeys 100000)`);
  console.log(`keel_ratelimit_evictions_total ${await metric('keel_ratelimit_evictions_total{policy="per-ip"}')}`);
  console.log(`RSS before ${before.toFixed(1)} MB, peak ${peak.toFixed(1)} MB, after ${after.toFixed(1)} MB`);
} finally {
  await stopGroup(keel);
  backend.stop(true);
}

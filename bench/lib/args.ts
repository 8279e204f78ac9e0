// Command-line flags of bench/run.sh.

import { readFlags } from "./harness.ts";

export interface Args {
  only: string[] | null; // peer ids; null = all
  sat: number; // seconds
  paced: number;
  warmup: number;
  retries: number; // reruns of a peer whose runs other jobs disturbed
  quietWait: number; // max seconds to wait for other jobs to calm down before each proxy
  smoke: boolean;
  strict: boolean; // exit 1 when a peer fails or wrk saw errors (for CI)
  out: string | null;
  keelConfigs: { name: string; path: string }[];
  xffKeys: number; // 0 = wrk sends no X-Forwarded-For
  redis: boolean; // start a redis-server (core 1) and pass REDIS_PORT to Keel
}

export const USAGE = `usage: bash bench/run.sh [flags]
  --only a,b,...           peers to run: nginx,haproxy,caddy,fastify,node-http-proxy,bun-naive,keel
                           (keel also selects the --keel-config variants; or name them as keel-NAME)
  --sat SECONDS            saturation run length (default 15)
  --paced SECONDS          paced run length (default 30; 30 s ≈ 147k samples)
  --warmup SECONDS         warm-up before measuring (default 3)
  --quiet-wait SECONDS     before each proxy, wait up to this long for other jobs on the
                           machine to use < 10% of a core (default 60; 0 = no wait)
  --retries N              rerun a proxy up to N times when other jobs took > 10% of a core
                           during its runs; the calmest attempt is reported (default 1)
  --smoke                  ~5 s per peer, writes bench/.tmp/RESULTS-smoke.md
  --strict                 exit 1 if a peer fails to start or wrk reports errors (for CI)
  --out FILE               where to write the report (default bench/RESULTS.md)
  --keel-config NAME=FILE  add a row "keel NAME" running Keel with FILE (repeatable)
  --xff-keys N             every request carries X-Forwarded-For from one of N addresses (per-IP keys)
  --redis                  start redis-server on core 1 and give Keel its port as REDIS_PORT`;

export function parseArgs(argv: string[]): Args {
  const a: Args = { only: null, sat: 15, paced: 30, warmup: 3, quietWait: 60, retries: 1, smoke: false, strict: false, out: null, keelConfigs: [], xffKeys: 0, redis: false };
  const explicit = readFlags(argv, USAGE, (f) => {
    const seconds = (): number => {
      const n = Number(f.value());
      if (!(n > 0)) throw new Error(`${f.name} needs a positive number of seconds`);
      return n;
    };
    switch (f.name) {
      case "--only":
        a.only = f.value().split(",").map((s) => s.trim()).filter(Boolean);
        break;
      case "--sat":
        a.sat = seconds();
        break;
      case "--paced":
        a.paced = seconds();
        break;
      case "--warmup":
        a.warmup = seconds();
        break;
      case "--quiet-wait":
        a.quietWait = Number(f.value());
        if (!(a.quietWait >= 0)) throw new Error("--quiet-wait needs a number of seconds (0 = do not wait)");
        break;
      case "--retries":
        a.retries = Number(f.value());
        if (!(a.retries >= 0)) throw new Error("--retries needs a count (0 = never rerun)");
        break;
      case "--smoke":
        a.smoke = true;
        break;
      case "--strict":
        a.strict = true;
        break;
      case "--out":
        a.out = f.value();
        break;
      case "--keel-config": {
        const v = f.value();
        const eq = v.indexOf("=");
        if (eq < 1) throw new Error(`--keel-config wants NAME=path.yaml, got "${v}"`);
        a.keelConfigs.push({ name: v.slice(0, eq), path: v.slice(eq + 1) });
        break;
      }
      case "--xff-keys":
        a.xffKeys = Number(f.value());
        if (!Number.isInteger(a.xffKeys) || a.xffKeys < 0) throw new Error("--xff-keys needs a whole number of addresses");
        break;
      case "--redis":
        a.redis = true;
        break;
      default:
        return false;
    }
    return true;
  });
  // Smoke: ~5 s per peer, unless a length was given explicitly.
  if (a.smoke) {
    if (!explicit.has("--warmup")) a.warmup = 1;
    if (!explicit.has("--sat")) a.sat = 2;
    if (!explicit.has("--paced")) a.paced = 2;
    if (!explicit.has("--quiet-wait")) a.quietWait = 0;
    if (!explicit.has("--retries")) a.retries = 0;
  }
  return a;
}

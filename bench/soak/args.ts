// Command-line flags of the soak (`npm run soak -- FLAGS`).

import { readFlags } from "../lib/harness.ts";

export interface SoakArgs {
  /** Length of the paced run, after warm-up and the capacity burst. */
  minutes: number;
  /** Offered rate; null = half of the capacity measured by a saturating burst first. */
  rps: number | null;
  /** Where results.json, chart.svg, summary.md and the raw logs go; null = bench/soak/results/<date>/. */
  out: string | null;
  /** Write the figures into docs/reliability.md (## Soak) and copy the chart to docs/soak.svg. */
  record: boolean;
  /** x-client values wrk sends in turn (keys of the rate limit). */
  clients: number;
  /** Largest RSS drift after the first minute that passes, in %. */
  maxDriftPct: number;
}

export const USAGE = `usage: npm run soak -- [flags]      (or: bun bench/soak/run.ts [flags])
  --minutes N        length of the paced run (default 10; fractions allowed, e.g. 0.5 for a smoke run)
  --rps R            offered requests per second (default: half of the capacity measured first
                     by a 5 s saturating burst against the same config)
  --out DIR          results directory (default bench/soak/results/<date>/, not committed)
  --record           write the figures into docs/reliability.md (## Soak) and the chart to docs/soak.svg
  --clients N        distinct x-client keys wrk sends (default 1000)
  --max-drift PCT    RSS drift after the first minute that still passes (default 5)`;

export function parseSoakArgs(argv: string[]): SoakArgs {
  const a: SoakArgs = { minutes: 10, rps: null, out: null, record: false, clients: 1000, maxDriftPct: 5 };
  readFlags(argv, USAGE, (f) => {
    switch (f.name) {
      case "--minutes": a.minutes = f.num(1 / 6); break;
      case "--rps": a.rps = f.num(1); break;
      case "--out": a.out = f.value(); break;
      case "--record": a.record = true; break;
      case "--clients": a.clients = Math.round(f.num(1)); break;
      case "--max-drift": a.maxDriftPct = f.num(0); break;
      default: return false;
    }
    return true;
  });
  return a;
}

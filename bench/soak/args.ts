// Command-line flags of the soak (`npm run soak -- FLAGS`).

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
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    const num = (min: number): number => {
      const n = Number(value());
      if (!(n >= min) || !Number.isFinite(n)) throw new Error(`${flag} needs a number ≥ ${min}`);
      return n;
    };
    switch (flag) {
      case "--minutes": a.minutes = num(1 / 6); break;
      case "--rps": a.rps = num(1); break;
      case "--out": a.out = value(); break;
      case "--record": a.record = true; break;
      case "--clients": a.clients = Math.round(num(1)); break;
      case "--max-drift": a.maxDriftPct = num(0); break;
      case "-h":
      case "--help":
        console.log(USAGE);
        process.exit(0);
      default:
        throw new Error(`unknown flag ${flag}\n${USAGE}`);
    }
  }
  return a;
}

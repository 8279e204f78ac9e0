// The aggregation contract: the config it compiles, the call function the gateway supplies, and
// what a run produces.

export interface AggregateConfig {
  /** Call name → where to call. Names keep their config order (the deep-merge order). */
  readonly calls: Readonly<Record<string, {
    readonly upstream: string;
    /** May hold {param.NAME} placeholders and a "?query". */
    readonly path: string;
    readonly method?: "GET";
  }>>;
  /** keys: { user: <body of call user>, ... }; deep: the bodies deep-merged in call order. */
  readonly merge: "keys" | "deep";
  readonly onPartialFailure: "fail" | "partial";
}

export type CallResult = { ok: true; status: number; body: unknown } | { ok: false; code: string; detail: string; status?: number };

/** Performs one call; provided by the gateway (it picks the endpoint, applies the deadline, reads and parses the JSON body). */
export type CallFn = (name: string, upstream: string, target: string) => Promise<CallResult>;

/** One failed call, as listed in `errors`. */
export interface AggregateCallError {
  call: string;
  status?: number;
  code: string;
  detail: string;
}

export type AggregateOutcome =
  /** `failed` > 0 only under partial; the body then carries an `errors` list at its top level. */
  | { ok: true; body: unknown; failed: number }
  /** Under fail, at least one call failed; under partial, every call failed. */
  | { ok: false; errors: AggregateCallError[] };

export interface CompiledAggregate {
  readonly names: readonly string[];
  /** Fills {param.NAME} placeholders (percent-encoding the value as a path segment / query value). */
  target(index: number, params: Readonly<Record<string, string>>): string;
  /** Runs every call in parallel and merges. A call answering a non-2xx status counts as failed. */
  run(params: Readonly<Record<string, string>>, call: CallFn): Promise<AggregateOutcome>;
}

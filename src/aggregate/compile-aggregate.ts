// An aggregate route compiled at config load: call targets become closures, and run() fans the
// calls out in parallel, classifies each answer and merges per the route's policy.
import { compileTemplate } from "./path-template.ts";
import { mergeDeep, mergeKeys, withErrors } from "./merge-bodies.ts";
import { thrownMessage } from "../hooks/thrown-message.ts";
import type { AggregateCallError, AggregateConfig, AggregateOutcome, CallFn, CallResult, CompiledAggregate } from "./types.ts";

/** The code of a call that answered, but not with a 2xx status (in the shared table, src/errors.ts). */
export const CALL_STATUS_CODE = "KEEL_UPSTREAM_ERROR_RESPONSE";
/** The code of a call whose CallFn threw or rejected instead of returning a CallResult. */
export const CALL_THREW_CODE = "KEEL_INTERNAL";

export function compileAggregate(config: AggregateConfig): CompiledAggregate {
  const names = Object.keys(config.calls);
  const upstreams = names.map((n) => config.calls[n]!.upstream);
  const fill = names.map((n) => compileTemplate(config.calls[n]!.path));
  const keys = config.merge === "keys";
  const partial = config.onPartialFailure === "partial";

  function target(index: number, params: Readonly<Record<string, string>>): string {
    const f = fill[index];
    return f === undefined ? "" : f(params);
  }

  async function run(params: Readonly<Record<string, string>>, call: CallFn): Promise<AggregateOutcome> {
    const n = names.length;
    // Every call starts before the first await: they run in parallel.
    const pending = new Array<Promise<CallResult>>(n);
    for (let i = 0; i < n; i++) pending[i] = invoke(call, names[i]!, upstreams[i]!, fill[i]!(params));
    const results = await Promise.all(pending);

    const bodies = new Array<unknown>(n);
    const ok = new Array<boolean>(n);
    let errors: AggregateCallError[] | null = null;
    for (let i = 0; i < n; i++) {
      const r = results[i]!;
      const error = callError(names[i]!, r);
      ok[i] = error === null;
      if (error === null) bodies[i] = (r as { body: unknown }).body;
      else (errors ??= []).push(error);
    }

    if (errors === null) return { ok: true, body: keys ? mergeKeys(names, bodies, ok) : mergeDeep(bodies, ok), failed: 0 };
    if (!partial || errors.length === n) return { ok: false, errors };
    const merged = keys ? mergeKeys(names, bodies, ok) : mergeDeep(bodies, ok);
    return { ok: true, body: withErrors(merged, errors), failed: errors.length };
  }

  return { names, target, run };
}

/** The gateway's CallFn should not throw, but a throw must not become a rejected run(). */
function invoke(call: CallFn, name: string, upstream: string, target: string): Promise<CallResult> {
  try {
    return Promise.resolve(call(name, upstream, target)).then(undefined, threw);
  } catch (e) {
    return Promise.resolve(threw(e));
  }
}

function threw(e: unknown): CallResult {
  return { ok: false, code: CALL_THREW_CODE, detail: `the call failed: ${thrownMessage(e)}` };
}

function callError(name: string, r: CallResult): AggregateCallError | null {
  if (typeof r !== "object" || r === null) return { call: name, code: CALL_THREW_CODE, detail: "the call returned no result" };
  if (!r.ok) return r.status === undefined ? { call: name, code: r.code, detail: r.detail } : { call: name, status: r.status, code: r.code, detail: r.detail };
  if (r.status >= 200 && r.status < 300) return null;
  return { call: name, status: r.status, code: CALL_STATUS_CODE, detail: `the upstream answered ${r.status}` };
}

// The aggregate folder's entry point: the config code imports everything from here.
export { checkAggregate, type AggregateProblem } from "./check-aggregate.ts";
export { deepMerge } from "./deep-merge.ts";
export type { AggregateCallError, AggregateConfig, AggregateOutcome, CallFn, CallResult, CompiledAggregate } from "./types.ts";

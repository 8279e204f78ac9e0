// Turns the calls' bodies into the one body the client gets, per the route's merge mode.
import { deepMerge, isPlainObject, setOwn } from "./deep-merge.ts";
import type { AggregateCallError } from "./types.ts";

/**
 * keys: { [call]: body } in call order; a failed call's key is present as null, so clients see
 * the same shape every time. `bodies[i]` is undefined for a failed call (`ok[i]` false).
 */
export function mergeKeys(names: readonly string[], bodies: readonly unknown[], ok: readonly boolean[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < names.length; i++) setOwn(out, names[i]!, ok[i] ? bodies[i] ?? null : null);
  return out;
}

/** deep: the successful bodies merged in call order (a later scalar or array wins). */
export function mergeDeep(bodies: readonly unknown[], ok: readonly boolean[]): unknown {
  let merged: unknown = undefined;
  let first = true;
  for (let i = 0; i < bodies.length; i++) {
    if (!ok[i]) continue;
    merged = first ? bodies[i] : deepMerge(merged, bodies[i]);
    first = false;
  }
  return merged;
}

/**
 * The partial-failure list goes at the top level, replacing any "errors" key an upstream body
 * had (Keel's report wins). A merged body that is not an object is wrapped as { data, errors }.
 */
export function withErrors(body: unknown, errors: AggregateCallError[]): Record<string, unknown> {
  if (!isPlainObject(body)) return { data: body ?? null, errors };
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(body)) if (k !== "errors") setOwn(out, k, body[k]);
  out["errors"] = errors;
  return out;
}

// Shared by the config tests: load text and get plain "line:col message" strings back.
import { loadConfigText, type ConfigError } from "../../src/config/load.ts";
import type { Plan } from "../../src/config/plan.ts";
import type { Env } from "../../src/config/interpolate.ts";

export const UPSTREAMS = `upstreams:
  users:
    endpoints: ["http://127.0.0.1:9001"]
`;

export function planOf(text: string, env: Env = {}): Plan {
  const r = loadConfigText(text, "keel.yaml", env);
  if (!r.ok) throw new Error(`expected a plan, got:\n${r.errors.map((e) => `${e.line}:${e.col} ${e.message}`).join("\n")}`);
  return r.plan;
}

export function errorsOf(text: string, env: Env = {}): ConfigError[] {
  const r = loadConfigText(text, "keel.yaml", env);
  if (r.ok) throw new Error("expected errors, got a plan");
  return r.errors;
}

/** Errors as "line:col message", easy to compare and to read in a failure. */
export function brief(text: string, env: Env = {}): string[] {
  return errorsOf(text, env).map((e) => `${e.line}:${e.col} ${e.message}`);
}

/** "line:col" of the n-th (0-based) occurrence of `needle` in `text`: the oracle for positions. */
export function at(text: string, needle: string, nth = 0): string {
  let i = -1;
  for (let k = 0; k <= nth; k++) {
    i = text.indexOf(needle, i + 1);
    if (i === -1) throw new Error(`${JSON.stringify(needle)} #${nth} not in the text`);
  }
  const before = text.slice(0, i).split("\n");
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

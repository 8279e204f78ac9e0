// Checks of a route's normalisation, validation, hooks and aggregation that the schema cannot
// express: rule paths and templates, JSON Schemas that do not compile, hook modules that do not
// load, aggregate calls to undefined upstreams, and a route with both or neither of upstream and
// aggregate. Each problem points at the key where it is written.
import { dirname } from "node:path";
import { checkAggregate } from "../aggregate/compile-aggregate.ts";
import { loadHookModule } from "../hooks/load-hooks.ts";
import { checkHeaderRules } from "../normalize/headers/header-rules.ts";
import { checkJsonRules } from "../normalize/json/compile-json-rules.ts";
import { compileRouteValidator } from "../validate/route-validator.ts";
import { didYouMean, formatPath, type ConfigPath } from "./describe.ts";
import type { Issue } from "./config-error.ts";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export function paramNamesOf(path: string): string[] {
  return path.split("/").filter((s) => s.startsWith(":")).map((s) => s.slice(1));
}

/** Header rules keeping only entries of the right type: the schema reports the others (checkHeaderRules would throw on them). */
function wellFormedHeaderRules(rules: Obj): Obj {
  const names = (v: unknown) => (Array.isArray(v) ? v.filter((x) => typeof x === "string") : undefined);
  const texts = (v: unknown) => (isObj(v) ? Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === "string")) : undefined);
  return { ...rules, remove: names(rules.remove), rename: texts(rules.rename), set: texts(rules.set), add: texts(rules.add) };
}

export function checkNormalization(config: Obj, routes: unknown[], source: string): Issue[] {
  const issues: Issue[] = [];
  const upstreams = isObj(config.upstreams) ? config.upstreams : {};
  const push = (path: ConfigPath, message: string, atKey = false) => issues.push({ path, atKey, message: `${formatPath(path)}: ${message}` });
  const sub = (base: ConfigPath, found: { at: (string | number)[]; message: string }[]) => {
    for (const f of found) push([...base, ...f.at], f.message);
  };

  routes.forEach((route, i) => {
    if (!isObj(route)) return;
    const base: ConfigPath = ["routes", i];
    const match = isObj(route.match) ? route.match : {};
    const params = typeof match.path === "string" ? paramNamesOf(match.path) : [];

    const hasUpstream = route.upstream !== undefined;
    const hasAggregate = route.aggregate !== undefined;
    if (hasUpstream && hasAggregate) push([...base, "aggregate"], "give either upstream or aggregate, not both", true);
    if (!hasUpstream && !hasAggregate) push([...base], 'missing required key "upstream" (or an aggregate section)');

    const normalize = isObj(route.normalize) ? route.normalize : null;
    for (const direction of ["request", "response"] as const) {
      const side = normalize !== null && isObj(normalize[direction]) ? (normalize[direction] as Obj) : null;
      if (side === null) continue;
      if (isObj(side.headers)) sub([...base, "normalize", direction, "headers"], checkHeaderRules(wellFormedHeaderRules(side.headers) as never, direction, params));
      if (isObj(side.json)) sub([...base, "normalize", direction, "json"], checkJsonRules(side.json as never));
    }

    if (isObj(route.validate)) {
      const compiled = compileRouteValidator(route.validate as never);
      if (!compiled.ok) sub([...base, "validate"], compiled.errors);
      if (isObj(route.validate.params)) {
        const props = isObj(route.validate.params.properties) ? Object.keys(route.validate.params.properties) : [];
        for (const p of props) {
          if (!params.includes(p)) push([...base, "validate", "params", "properties", p], `the route's match.path has no :${p} segment; its path params: ${params.map((x) => ":" + x).join(", ") || "(none)"}`, true);
        }
      }
    }

    if (isObj(route.hooks) && typeof route.hooks.module === "string") {
      const loaded = loadHookModule(route.hooks.module, dirname(source));
      if (!loaded.ok) push([...base, "hooks", "module"], loaded.message);
    }

    if (isObj(route.aggregate)) {
      const agg = route.aggregate;
      const calls = isObj(agg.calls) ? agg.calls : {};
      // Only calls of the right shape: the schema reports the others (checkAggregate would throw on them).
      const wellFormed = Object.fromEntries(Object.entries(calls).filter(([, c]) => isObj(c) && typeof c.path === "string"));
      sub([...base, "aggregate"], checkAggregate({ ...agg, calls: wellFormed } as never, params));
      for (const [name, call] of Object.entries(calls)) {
        if (!isObj(call) || typeof call.upstream !== "string" || Object.hasOwn(upstreams, call.upstream)) continue;
        const names = Object.keys(upstreams);
        const hint = didYouMean(call.upstream, names);
        push([...base, "aggregate", "calls", name, "upstream"], `no upstream named "${call.upstream}"; defined: ${names.join(", ") || "(none)"}${hint ? ` (did you mean "${hint}"?)` : ""}`);
      }
      if (route.retry !== undefined && route.retry !== false) push([...base, "retry"], "an aggregating route does not retry its calls (set retry on nothing, or remove it)", true);
      if (route.hedge !== undefined && route.hedge !== false) push([...base, "hedge"], "an aggregating route does not hedge its calls", true);
    }
  });
  return issues;
}

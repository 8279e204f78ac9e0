// A route's normalisation, validation, hooks and aggregation → compiled functions in its plan.
// Only called on a config that passed validation (semantic-normalize.ts), so compilers succeed.
import { dirname } from "node:path";
import { compileAggregate } from "../aggregate/compile-aggregate.ts";
import { loadHookModule } from "../hooks/load-hooks.ts";
import { compileHeaderRules } from "../normalize/headers/header-rules.ts";
import { compileJsonRules, type JsonLimits } from "../normalize/json/compile-json-rules.ts";
import { compileByteRules } from "../normalize/json/bytes/compile-byte-rules.ts";
import { compilePathNormalizer, type PathNormalizer, type PathOptions } from "../normalize/path/normalize-path.ts";
import { compileQueryNormalizer } from "../normalize/query/normalize-query.ts";
import { compileRouteValidator } from "../validate/route-validator.ts";
import type { JsonBodyPlan, RouteExtrasPlan } from "./plan.ts";
import type { RawRoute } from "./schema.ts";
import { NORMALIZE_DEFAULTS, type RawJsonRules, type RawPathOptions } from "./schema-normalize.ts";
import { parseDuration, parseSize } from "./units.ts";

/** The upstream a route's plan names: its own, or (aggregating routes) its first call's. */
export function routeUpstream(raw: RawRoute): string {
  if (raw.upstream !== undefined) return raw.upstream;
  const first = Object.values(raw.aggregate?.calls ?? {})[0];
  return first?.upstream ?? "";
}

function pathOptions(raw: RawPathOptions | undefined, base: PathOptions): PathOptions {
  return { ...base, ...raw };
}

export function compileListenerPath(raw: RawPathOptions | undefined): PathNormalizer {
  return compilePathNormalizer(pathOptions(raw, NORMALIZE_DEFAULTS.path));
}

/** The caps of a JSON body a route reads without its own json rules (validation, aggregate calls). */
export const DEFAULT_JSON_LIMITS: JsonLimits = {
  maxBytes: parseSize(NORMALIZE_DEFAULTS.json.maxBytes) as number,
  maxDepth: NORMALIZE_DEFAULTS.json.maxDepth,
};

function jsonBody(raw: RawJsonRules | undefined): JsonBodyPlan | null {
  if (raw === undefined) return null;
  const { maxBytes, maxDepth, ...rules } = raw;
  return {
    transform: compileJsonRules(rules),
    byteTransform: compileByteRules(rules),
    limits: {
      maxBytes: maxBytes === undefined ? DEFAULT_JSON_LIMITS.maxBytes : (parseSize(maxBytes) as number),
      maxDepth: maxDepth ?? DEFAULT_JSON_LIMITS.maxDepth,
    },
  };
}

export function compileRouteNormalization(raw: RawRoute, source: string): RouteExtrasPlan {
  const n = raw.normalize;
  const normalize =
    n === undefined
      ? null
      : {
          // A route's path options apply to the path it forwards, over the listener's defaults.
          path: n.path === undefined ? null : compilePathNormalizer(pathOptions(n.path, NORMALIZE_DEFAULTS.path)),
          query: n.query === undefined ? null : compileQueryNormalizer({ sort: n.query.sort ?? NORMALIZE_DEFAULTS.query.sort, drop: n.query.drop ?? [], allow: n.query.allow ?? null, repeated: n.query.repeated ?? NORMALIZE_DEFAULTS.query.repeated }),
          requestHeaders: n.request?.headers === undefined ? null : compileHeaderRules(n.request.headers, "request"),
          responseHeaders: n.response?.headers === undefined ? null : compileHeaderRules(n.response.headers, "response"),
          requestJson: jsonBody(n.request?.json),
          responseJson: jsonBody(n.response?.json),
          errorEnvelope: n.response?.errors === "problem",
          errorBodyBytes: parseSize(NORMALIZE_DEFAULTS.errorBodyBytes) as number,
        };

  let validator = null;
  if (raw.validate !== undefined) {
    const compiled = compileRouteValidator(raw.validate);
    if (compiled.ok) validator = compiled.validator;
  }

  let hooks = null;
  if (raw.hooks !== undefined) {
    const loaded = loadHookModule(raw.hooks.module, dirname(source));
    if (loaded.ok) hooks = { module: loaded.module, file: loaded.file, timeoutMs: parseDuration(raw.hooks.timeout ?? NORMALIZE_DEFAULTS.hooks.timeout) as number };
  }

  const aggregate =
    raw.aggregate === undefined
      ? null
      : compileAggregate({
          calls: raw.aggregate.calls,
          merge: raw.aggregate.merge ?? NORMALIZE_DEFAULTS.aggregate.merge,
          onPartialFailure: raw.aggregate.onPartialFailure ?? NORMALIZE_DEFAULTS.aggregate.onPartialFailure,
        });

  return { normalize, validator, hooks, aggregate };
}

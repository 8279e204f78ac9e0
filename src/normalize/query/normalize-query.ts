// The query normaliser's public surface: the one module the config compiler, request handler and validators import.

export { compileQueryNormalizer, type QueryNormalizer } from "./query-normalizer.ts";
export { DEFAULT_QUERY_OPTIONS, type QueryOptions } from "./query-options.ts";
export { QueryRejection, type QueryRejectionReason } from "./query-rejection.ts";
export { queryToObject } from "./query-to-object.ts";

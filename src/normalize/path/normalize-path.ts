// The path normaliser's public surface: the one module the config compiler and the request handler import.

export { compilePathNormalizer, type PathNormalizer } from "./path-normalizer.ts";
export { DEFAULT_PATH_OPTIONS, type PathOptions } from "./path-options.ts";
export { PathRejection, type PathRejectionReason } from "./path-rejection.ts";

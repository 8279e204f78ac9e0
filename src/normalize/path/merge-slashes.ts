// "//" runs become one "/" so "/api//users" routes like "/api/users" (when the route config asks).

const SLASH_RUNS = /\/{2,}/g;

export function mergeSlashes(path: string): string {
  return path.replace(SLASH_RUNS, "/");
}

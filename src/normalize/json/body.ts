// The JSON body edge of the request path, in one import: read the bytes under a cap, parse them
// with the hostile-input guards, and turn the transformed value back into bytes.

export { parseJsonBody } from "./parse-json-body.ts";
export { readBody } from "./read-body.ts";
export { serializeJson } from "./serialize-json.ts";
export type { JsonLimits, JsonParseResult, ReadBodyResult } from "./types.ts";

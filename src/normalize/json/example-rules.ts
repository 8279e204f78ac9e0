// The example response rules of docs/normalize.md (and of the issue that asked for them), in one
// place: the docs test, the rule tests and the normalisation bench all run exactly these.
import type { JsonRulesConfig } from "./types.ts";

export const EXAMPLE_JSON_RULES: JsonRulesConfig = {
  rename: { user_name: "userName", "items[].created_at": "items[].createdAt" },
  lowercase: ["email"],
  coerce: { score: "number", active: "boolean" },
  omit: ["password_hash"],
  keys: "camelCase",
  dates: { created: "rfc3339" },
  defaults: { tags: [] },
};

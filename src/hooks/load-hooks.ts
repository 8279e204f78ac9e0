// Loads a route's hooks module at config load. Config loading is synchronous, and Bun's require()
// loads .ts/.js ES modules synchronously — except modules with top-level await, which get a
// message saying so. Never throws: every problem becomes a message for the config error.
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { thrownMessage } from "./thrown-message.ts";
import type { HookModule, OnRequest, OnResponse } from "./types.ts";

/** Modification time of each module when it was last required (one entry per hooks file). */
const loadedAt = new Map<string, number>();

export type HookModuleLoad = { ok: true; module: HookModule; file: string } | { ok: false; message: string };

/** `modulePath` is taken relative to `configDir` (the config file's folder) unless absolute. */
export function loadHookModule(modulePath: string, configDir: string): HookModuleLoad {
  try {
    return load(modulePath, configDir);
  } catch (e) {
    // Reading an export can still run user code (a getter, a binding not yet initialised).
    return { ok: false, message: `hooks module ${modulePath} failed to load: ${thrownMessage(e)}` };
  }
}

function load(modulePath: string, configDir: string): HookModuleLoad {
  const file = resolve(configDir, modulePath);
  const stat = statSync(file, { throwIfNoEntry: false });
  if (stat === undefined) return { ok: false, message: `hooks module ${modulePath} not found (looked for ${file})` };
  if (!stat.isFile()) return { ok: false, message: `hooks module ${modulePath} is not a file (${file})` };

  // A reload picks up an edited module: require() caches by path, so a changed file is evicted.
  const mtime = stat.mtimeMs;
  const seen = loadedAt.get(file);
  if (seen !== undefined && seen !== mtime) delete require.cache[file];
  loadedAt.set(file, mtime);

  let exports: Record<string, unknown>;
  try {
    exports = require(file) as Record<string, unknown>;
  } catch (e) {
    return { ok: false, message: `hooks module ${modulePath} failed to load: ${loadErrorMessage(e, file)}` };
  }
  if (exports === null || typeof exports !== "object") {
    return { ok: false, message: `hooks module ${modulePath} exports neither onRequest nor onResponse` };
  }

  const { onRequest, onResponse } = exports;
  if (onRequest === undefined && onResponse === undefined) {
    const found = Object.keys(exports);
    const hint = found.length === 0 ? "it exports nothing" : `it exports ${found.join(", ")}`;
    return { ok: false, message: `hooks module ${modulePath} exports neither onRequest nor onResponse (${hint})` };
  }
  for (const [name, value] of [["onRequest", onRequest], ["onResponse", onResponse]] as const) {
    if (value !== undefined && typeof value !== "function") {
      return { ok: false, message: `hooks module ${modulePath}: ${name} must be a function, but it is ${value === null ? "null" : "a " + typeof value}` };
    }
  }

  // Only the two hooks are kept: the module namespace is not held on the request path.
  const module: HookModule = {};
  if (onRequest !== undefined) module.onRequest = onRequest as OnRequest;
  if (onResponse !== undefined) module.onResponse = onResponse as OnResponse;
  return { ok: true, module, file };
}

function loadErrorMessage(e: unknown, file: string): string {
  const text = thrownMessage(e);
  if (text.includes("require() async module")) {
    return "it uses top-level await, but hooks modules load synchronously; move the await into onRequest/onResponse";
  }
  // Bun's syntax errors (BuildMessage) carry where they are; the message alone does not say.
  const pos = (e as { position?: { file?: unknown; line?: unknown; column?: unknown } | null } | null)?.position;
  if (pos && typeof pos.line === "number" && typeof pos.column === "number") {
    return `${typeof pos.file === "string" ? pos.file : file}:${pos.line}:${pos.column}: ${text}`;
  }
  return text;
}

// Config text → Plan or every error found, each at file:line:col. Never throws.
// Stages: mask ${VAR} → parse YAML → interpolate → schema + semantic checks → compile.
// A stage's errors stop the later stages (their results would be noise), all errors of a stage are kept.
import { readFileSync } from "node:fs";
import { LineCounter, parseDocument } from "yaml";
import { interpolateDocument, maskReferences, type Env } from "./interpolate.ts";
import { validateSchema } from "./validate.ts";
import { checkSemantics } from "./semantic.ts";
import { compilePlan } from "./compile.ts";
import { locate } from "./locate.ts";
import type { RawConfig } from "./schema.ts";
import type { ConfigPath } from "./describe.ts";
import type { ConfigError } from "./config-error.ts";
import type { Plan } from "./plan.ts";

export { formatConfigError, type ConfigError } from "./config-error.ts";

export type LoadResult = { ok: true; plan: Plan } | { ok: false; errors: ConfigError[] };

export function loadConfigFile(path: string, env: Env = process.env): LoadResult {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = code === "ENOENT" ? "file not found" : code === "EISDIR" ? "is a directory, not a file" : `cannot read the file (${code ?? String(err)})`;
    return { ok: false, errors: [{ file: path, line: 1, col: 1, message: why }] };
  }
  return loadConfigText(text, path, env);
}

export function loadConfigText(text: string, fileName: string, env: Env = process.env): LoadResult {
  try {
    return load(text, fileName, env);
  } catch (err) {
    // A bug in Keel, not in the config; still reported as a result, never thrown.
    return { ok: false, errors: [{ file: fileName, line: 1, col: 1, message: `internal error while loading the config: ${String(err)}` }] };
  }
}

function load(text: string, file: string, env: Env): LoadResult {
  const lines = new LineCounter();
  const masked = maskReferences(text);
  const doc = parseDocument(masked.text, { lineCounter: lines, prettyErrors: false, logLevel: "silent", uniqueKeys: true });
  const at = (offset: number, message: string): ConfigError => {
    const { line, col } = lines.linePos(Math.max(0, offset));
    return { file, line: Math.max(1, line), col: Math.max(1, col), message };
  };
  const fail = (errors: ConfigError[]): LoadResult => ({ ok: false, errors: sortByPosition(errors) });

  const syntax = [...doc.errors, ...doc.warnings].map((e) => at(e.pos[0], `YAML: ${e.message}`));
  if (syntax.length > 0) return fail(firstPerLine(syntax));

  const refErrors = interpolateDocument(doc, masked, env).map((i) => at(i.offset, i.message));
  if (refErrors.length > 0) return fail(refErrors);

  let config: unknown;
  try {
    config = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    return fail([at(0, `YAML: ${(err as Error).message}`)]);
  }
  const where = { offset: (p: ConfigPath, atKey?: boolean) => locate(doc, p, atKey), line: (p: ConfigPath) => at(locate(doc, p), "").line };
  const issues = [...validateSchema(config), ...checkSemantics(config, where, file)];
  if (issues.length > 0) return fail(issues.map((i) => at(locate(doc, i.path, i.atKey), i.message)));

  return { ok: true, plan: compilePlan(config as RawConfig, file) };
}

function sortByPosition(errors: ConfigError[]): ConfigError[] {
  return errors.sort((a, b) => a.line - b.line || a.col - b.col);
}

// One YAML mistake often cascades into several errors on the same line; the first is the useful one.
function firstPerLine(errors: ConfigError[]): ConfigError[] {
  const seen = new Set<number>();
  return sortByPosition(errors).filter((e) => !seen.has(e.line) && seen.add(e.line));
}

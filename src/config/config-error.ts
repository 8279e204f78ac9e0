// The two shapes of a config problem: an Issue (where in the config, by path or offset) while
// loading, and the public ConfigError (file:line:col) that users see.
import type { ConfigPath } from "./describe.ts";

export interface ConfigError {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based, in UTF-16 code units. */
  readonly col: number;
  readonly message: string;
}

/** "keel.yaml:12:7: message" — the format editors and terminals link to. */
export function formatConfigError(e: ConfigError): string {
  return `${e.file}:${e.line}:${e.col}: ${e.message}`;
}

/** A problem found in the config value; `atKey` points at the key rather than its value. */
export interface Issue {
  readonly path: ConfigPath;
  readonly atKey?: boolean;
  readonly message: string;
}

import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { ERRORS } from "../../src/errors.ts";

const doc = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");

test("docs/errors.md has a row for every error code, with its status", () => {
  const missing: string[] = [];
  for (const [code, spec] of Object.entries(ERRORS)) {
    const row = doc.split("\n").find((l) => l.startsWith(`| \`${code}\` |`));
    if (row === undefined || !row.includes(`| ${spec.status} |`) || !row.includes(`| ${spec.source} |`)) missing.push(code);
  }
  expect(missing).toEqual([]);
});

test("docs/errors.md names no code that src/errors.ts lacks", () => {
  const documented = [...doc.matchAll(/^\| `(KEEL_[A-Z_]+)` \|/gm)].map((m) => m[1]!);
  expect(documented.filter((c) => !(c in ERRORS))).toEqual([]);
});

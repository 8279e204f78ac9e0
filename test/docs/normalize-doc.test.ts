// docs/normalize.md stays true: every row of its path, query and JSON tables is run through the
// compiled rules, and the output must be what the page says.

import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { compileJsonRules } from "../../src/normalize/json/compile-json-rules.ts";
import { compilePathNormalizer, DEFAULT_PATH_OPTIONS, PathRejection } from "../../src/normalize/path/normalize-path.ts";
import { compileQueryNormalizer, DEFAULT_QUERY_OPTIONS, QueryRejection } from "../../src/normalize/query/normalize-query.ts";
import { EXAMPLE_JSON_RULES } from "../../src/normalize/json/example-rules.ts";

const DOC = readFileSync(join(import.meta.dir, "../../docs/normalize.md"), "utf8");

/** Rows of the table after `<!-- table:NAME -->`, cells with their backticks removed. */
function table(name: string): string[][] {
  const at = DOC.indexOf(`<!-- table:${name} -->`);
  if (at < 0) throw new Error(`docs/normalize.md has no table:${name}`);
  const lines = DOC.slice(at).split("\n").slice(1);
  const rows: string[][] = [];
  for (const line of lines.slice(2)) {
    if (!line.startsWith("|")) break;
    rows.push(line.slice(1, -1).split(" | ").map((c) => c.trim().replace(/^`|`$/g, "")));
  }
  if (rows.length === 0) throw new Error(`table:${name} is empty`);
  return rows;
}

const options = (cell: string): Record<string, unknown> => (cell === "" ? {} : (parseYaml(`{ ${cell} }`) as Record<string, unknown>));

describe("docs/normalize.md tables", () => {
  test("paths", () => {
    for (const [opts, input, expected] of table("path")) {
      const out = compilePathNormalizer({ ...DEFAULT_PATH_OPTIONS, ...options(opts!) })(input!);
      if (expected!.startsWith("400")) expect(out, `${input} with ${opts}`).toBeInstanceOf(PathRejection);
      else expect(out, `${input} with ${opts}`).toBe(expected!);
    }
  });

  test("query strings", () => {
    for (const [rules, input, expected] of table("query")) {
      const out = compileQueryNormalizer({ ...DEFAULT_QUERY_OPTIONS, ...options(rules!) })(input!);
      if (expected!.startsWith("400")) expect(out, `${input} with ${rules}`).toBeInstanceOf(QueryRejection);
      else expect(out, `${input} with ${rules}`).toBe(expected!);
    }
  });

  test("JSON rules", () => {
    const example = EXAMPLE_JSON_RULES;
    for (const [rules, input, expected] of table("json")) {
      const config = rules === "the example rules above" ? example : JSON.parse(rules!);
      const out = compileJsonRules(config)(JSON.parse(input!));
      if (expected!.startsWith("error ")) {
        expect(out.ok, `${rules} on ${input}`).toBe(false);
        if (!out.ok) expect(out.error.pointer).toBe(expected!.slice("error ".length).replace(/`/g, ""));
      } else {
        expect(out.ok, `${rules} on ${input}`).toBe(true);
        if (out.ok) expect(out.value, `${rules} on ${input}`).toEqual(JSON.parse(expected!));
      }
    }
  });
});

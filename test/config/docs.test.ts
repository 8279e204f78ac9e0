// docs/config.md must not rot: its valid examples load, and its error output is what Keel prints.
import { test, expect } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfigText, formatConfigError } from "../../src/config/load.ts";

const doc = readFileSync(join(import.meta.dir, "../../docs/config.md"), "utf8");
const blocks = [...doc.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], body: m[2]! }));
const yamlBlocks = blocks.filter((b) => b.lang === "yaml");

test("the complete and the smallest example load", () => {
  for (const b of yamlBlocks.slice(0, 2)) {
    const r = loadConfigText(b.body, "keel.yaml", {});
    expect(r.ok ? [] : r.errors.map(formatConfigError)).toEqual([]);
  }
});

test("the error example prints exactly the documented output", () => {
  const i = blocks.indexOf(yamlBlocks[2]!);
  const r = loadConfigText(blocks[i]!.body, "keel.yaml", {});
  expect(r.ok ? [] : r.errors.map(formatConfigError)).toEqual(blocks[i + 1]!.body.trim().split("\n"));
});

// Every examples/*.yaml must load (with an empty environment, so defaults in ${VAR:-x} must suffice).
import { test, expect } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { loadConfigFile, formatConfigError } from "../../src/config/load.ts";

const dir = join(import.meta.dir, "../../examples");
const files = existsSync(dir) ? readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort() : [];

if (files.length === 0) test.skip("examples/*.yaml (none yet)", () => {});

for (const f of files) {
  test(`examples/${f} loads without errors`, () => {
    const r = loadConfigFile(join(dir, f), {});
    expect(r.ok ? [] : r.errors.map(formatConfigError)).toEqual([]);
    expect(r.ok && r.plan.routes.length).toBeGreaterThan(0);
  });
}

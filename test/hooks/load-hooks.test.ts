import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadHookModule } from "../../src/hooks/load-hooks.ts";

// The fixtures folder stands in for the config file's folder.
const dir = join(import.meta.dir, "fixtures");

describe("loadHookModule", () => {
  test("a module with both hooks: only the hooks are kept, with the absolute file", () => {
    const r = loadHookModule("./both-hooks.ts", dir);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.file).toBe(join(dir, "both-hooks.ts"));
    expect(Object.keys(r.module).sort()).toEqual(["onRequest", "onResponse"]);
    expect(typeof r.module.onRequest).toBe("function");
  });

  test("a module with only onResponse", () => {
    const r = loadHookModule("response-only.ts", dir);
    expect(r.ok && Object.keys(r.module)).toEqual(["onResponse"]);
  });

  test("an absolute path ignores the config folder", () => {
    expect(loadHookModule(join(dir, "response-only.ts"), "/nowhere").ok).toBe(true);
  });

  const failures: [string, string, string][] = [
    ["missing file", "./missing.ts", `hooks module ./missing.ts not found (looked for ${join(dir, "missing.ts")})`],
    ["a folder", ".", "hooks module . is not a file"],
    ["throwing module", "./throws-on-load.ts", "hooks module ./throws-on-load.ts failed to load: HOOK_SECRET is not set"],
    ["no hooks exported", "./no-hooks.ts", "hooks module ./no-hooks.ts exports neither onRequest nor onResponse (it exports"],
    ["non-function export", "./non-function.ts", "hooks module ./non-function.ts: onRequest must be a function, but it is a string"],
    ["top-level await", "./top-level-await.ts", "it uses top-level await, but hooks modules load synchronously"],
  ];
  for (const [what, path, message] of failures) {
    test(`${what} → a message, no throw`, () => {
      const r = loadHookModule(path, dir);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.message).toContain(message);
    });
  }

  // Written at test time: a syntax error in a checked-in .ts fixture would fail type-checking.
  const tmp = mkdtempSync(join(tmpdir(), "keel-hooks-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  test("a syntax error names the file, line and column", () => {
    writeFileSync(join(tmp, "broken.ts"), "export function onRequest() {}\nexport const x = ;\n");
    const r = loadHookModule("broken.ts", tmp);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(`${join(tmp, "broken.ts")}:2:`);
  });

  test("a missing import is reported", () => {
    writeFileSync(join(tmp, "bad-import.ts"), 'import { x } from "./nope.ts";\nexport function onRequest() { return x; }\n');
    const r = loadHookModule("bad-import.ts", tmp);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain("nope.ts");
  });
});

test("an edited module is loaded anew (a config reload picks up the change)", () => {
  const dir = mkdtempSync(join(tmpdir(), "keel-hook-"));
  const file = join(dir, "h.ts");
  writeFileSync(file, "export function onRequest() { return { status: 201 }; }\n");
  const first = loadHookModule(file, dir);
  expect(first.ok && (first.module.onRequest as () => { status: number })().status).toBe(201);
  writeFileSync(file, "export function onRequest() { return { status: 202 }; }\n");
  utimesSync(file, new Date(), new Date(Date.now() + 5000));
  const second = loadHookModule(file, dir);
  expect(second.ok && (second.module.onRequest as () => { status: number })().status).toBe(202);
});

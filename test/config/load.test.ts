import { test, expect } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfigFile, formatConfigError } from "../../src/config/load.ts";
import { UPSTREAMS } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "keel-config-"));

test("loads a file and records its path as the plan's source", () => {
  const file = join(dir, "ok.yaml");
  writeFileSync(file, `${UPSTREAMS}routes: [{ name: r, upstream: \${UP:-users} }]\n`);
  const r = loadConfigFile(file, {});
  expect(r.ok && r.plan.source).toBe(file);
  expect(r.ok && r.plan.routes[0]!.upstream).toBe("users");
});

test("env defaults to process.env", () => {
  const file = join(dir, "env.yaml");
  writeFileSync(file, `${UPSTREAMS}routes: [{ name: "\${KEEL_TEST_ROUTE_NAME}", upstream: users }]\n`);
  process.env.KEEL_TEST_ROUTE_NAME = "from-env";
  const r = loadConfigFile(file);
  delete process.env.KEEL_TEST_ROUTE_NAME;
  expect(r.ok && r.plan.routes[0]!.name).toBe("from-env");
});

test("a missing file or a directory is an error at 1:1", () => {
  const missing = join(dir, "nope.yaml");
  expect(loadConfigFile(missing)).toEqual({ ok: false, errors: [{ file: missing, line: 1, col: 1, message: "file not found" }] });
  const r = loadConfigFile(dir);
  expect(!r.ok && formatConfigError(r.errors[0]!)).toBe(`${dir}:1:1: is a directory, not a file`);
});

test("errors carry the file name and format as file:line:col: message", () => {
  const file = join(dir, "bad.yaml");
  writeFileSync(file, `${UPSTREAMS}routes: [{ name: r, upstream: users, timeout: 5 }]\n`);
  const r = loadConfigFile(file, {});
  expect(r.ok).toBe(false);
  expect(!r.ok && r.errors.map(formatConfigError)).toEqual([`${file}:4:47: routes[0].timeout: expected a duration like "250ms" or "2s", got 5`]);
});

// `keel check` and `keel run` argument handling and exit codes: 0 ok, 1 invalid config, 2 usage.
// The cases that matter as a real process (exit status, bin/keel.js through npx) run as children,
// all started together in beforeAll (a Bun start costs ~0.3 s of CPU here); the rest call main()
// in-process with the console captured.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { main } from "../../src/cli/main.ts";
import { REPO_ROOT, runCli, tempConfig } from "../support/child.ts";

/** main(argv) in-process: its return value is the exit code; console output captured. */
async function runMain(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => void out.push(a.join(" ") + "\n");
  console.error = (...a: unknown[]) => void err.push(a.join(" ") + "\n");
  try {
    const code = await main(args);
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

const GOOD = `upstreams:
  users:
    endpoints: ["http://127.0.0.1:9001"]
routes:
  - name: users
    match: { pathPrefix: /api/users }
    upstream: users
`;

const TWO_ERRORS = `upstreams:
  users:
    endpoints: ["http://127.0.0.1:9001"]
    balanse: p2c
routes:
  - name: users
    match: { pathPrefx: /api }
    upstream: users
`;

const temps: { remove(): void }[] = [];
function temp(text: string): string {
  const t = tempConfig(text);
  temps.push(t);
  return t.file;
}

const files = { good: "", typo: "", two: "", inUse: "" };
// A port held by the test, for `keel run` to find in use.
let held: { port: number; stop(force?: boolean): void } | null = null;
const npx = Bun.which("npx");
type Result = Awaited<ReturnType<typeof runCli>>;
const results: Record<string, Result> = {};

const USAGE_CASES: [string, string[]][] = [
  ["no arguments", []],
  ["unknown command", ["frob", "x.yaml"]],
  ["check without a file", ["check"]],
  ["run without a file", ["run"]],
  ["an extra argument", ["check", "a.yaml", "b.yaml"]],
];

beforeAll(async () => {
  files.good = temp(GOOD);
  files.typo = temp(GOOD.replace("pathPrefix", "pathPrefx"));
  files.two = temp(TWO_ERRORS);
  held = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  files.inUse = temp(`listen: { port: ${held.port}, host: 127.0.0.1 }\nadmin: false\n` + GOOD);
  const runs: Record<string, Promise<Result>> = {
    typo: runCli(["check", files.typo]),
    good: runCli(["check", files.good]),
    usage: runCli(["check"]),
    inUse: runCli(["run", files.inUse]),
  };
  if (npx !== null) runs.npx = runCli(["keel", "check", "examples/keel.yaml"], { cmd: [npx, "--no-install"] });
  const names = Object.keys(runs);
  const done = await Promise.all(Object.values(runs));
  names.forEach((n, i) => (results[n] = done[i]!));
  results.two = await runMain(["check", files.two]);
  results.missing = await runMain(["check", "/nonexistent/keel.yaml"]);
  results.example = await runMain(["check", join(REPO_ROOT, "examples/keel.yaml")]);
  results.help = await runMain(["--help"]);
  results.runBad = await runMain(["run", files.typo]);
  for (const [name, args] of USAGE_CASES) results[name] = await runMain(args);
}, 30_000);

afterAll(() => {
  held?.stop(true);
  for (const t of temps) t.remove();
});

describe("keel check", () => {
  test("a misspelled key: file:line:col of that key, exit 1", () => {
    const r = results.typo!;
    expect(r.code).toBe(1);
    // Line 6, column 14: where `pathPrefx` starts in "    match: { pathPrefx: /api/users }".
    expect(r.stderr).toContain(`${files.typo}:6:14:`);
    expect(r.stderr).toContain("pathPrefx");
    expect(r.stderr).toContain('did you mean "pathPrefix"');
    expect(r.stdout).toBe("");
  });

  test("several errors are all reported, each at its position", () => {
    const r = results.two!;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${files.two}:4:5:`);
    expect(r.stderr).toContain(`${files.two}:7:14:`);
    expect(r.stderr).toContain("2 errors");
  });

  test("a good file: the summary and ok, exit 0", () => {
    const r = results.good!;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("routes (1");
    expect(r.stdout).toContain("/api/users");
    expect(r.stdout).toContain(`${files.good}: ok`);
    expect(r.stderr).toBe("");
  });

  test("a missing file: exit 1 with the reason", () => {
    const r = results.missing!;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("/nonexistent/keel.yaml:1:1: file not found");
  });

  test("examples/keel.yaml checks out", () => {
    const r = results.example!;
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(r.stdout).toContain("examples/keel.yaml: ok");
  });
});

describe("usage", () => {
  test("as a process: usage error → exit status 2", () => {
    expect(results.usage!.code).toBe(2);
    expect(results.usage!.stderr).toContain("usage: keel");
  });

  for (const [name] of USAGE_CASES) {
    test(`${name} → usage on stderr, exit 2`, () => {
      const r = results[name]!;
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("usage: keel");
    });
  }

  test("--help → usage on stdout, exit 0", () => {
    expect(results.help!.code).toBe(0);
    expect(results.help!.stdout).toContain("usage: keel");
  });

  test("keel run on a bad file starts nothing, exit 1", () => {
    expect(results.runBad!.code).toBe(1);
    expect(results.runBad!.stderr).toContain("nothing started");
  });
});

describe("keel run", () => {
  test("the listen port in use: one clear line, no stack trace, exit 1", () => {
    const r = results.inUse!;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("keel: cannot start:");
    expect(r.stderr).toContain(String(held!.port));
    expect(r.stderr).toContain("EADDRINUSE");
    expect(r.stderr).not.toContain("    at ");
  });
});

describe("npx keel", () => {
  test("package.json's bin is bin/keel.js", () => {
    expect(JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")).bin).toEqual({ keel: "bin/keel.js" });
  });

  test.skipIf(npx === null)("`npx keel check examples/keel.yaml` works from the repo root", () => {
    const r = results.npx!;
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(r.stdout).toContain("examples/keel.yaml: ok");
  });
});

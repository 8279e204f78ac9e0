// The single binary (`npm run build` → dist/keel, `bun build --compile`): it checks a config and
// proxies requests with no Bun, no node_modules and no source tree at hand. Every run happens from
// a temp folder, so nothing is read relative to the repository: the dashboard page must be
// embedded, and workers must start the binary itself again. Built first if dist/keel is missing
// or older than a source file (a few seconds); CI builds it before the tests.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBackend, type Backend } from "../support/backend.ts";
import { REPO_ROOT, runCli } from "../support/child.ts";

const BINARY = join(REPO_ROOT, "dist", "keel");

/** Newest modification time of the files under `dir` (ms). */
function newestUnder(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestUnder(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** `npm run build`'s command, run with this Bun, unless dist/keel is newer than every source file. */
function ensureBinary(): void {
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= newestUnder(join(REPO_ROOT, "src"))) return;
  const r = Bun.spawnSync([process.execPath, "build", "--compile", "--outfile", BINARY, "src/cli/main.ts"], { cwd: REPO_ROOT, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`building dist/keel failed:\n${r.stdout.toString()}${r.stderr.toString()}`);
}

interface Running {
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  output(): string;
  waitFor(re: RegExp): Promise<RegExpMatchArray>;
}

/** `dist/keel <args>` in `cwd`, its output collected. */
function startBinary(args: string[], cwd: string): Running {
  const proc = Bun.spawn([BINARY, ...args], { cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  let out = "";
  let ended = false;
  const pump = async (s: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of s) out += dec.decode(chunk, { stream: true });
  };
  void Promise.all([pump(proc.stdout), pump(proc.stderr)]).finally(() => (ended = true));
  return {
    proc,
    output: () => out,
    async waitFor(re) {
      const until = Date.now() + 15_000;
      for (;;) {
        const m = out.match(re);
        if (m) return m;
        if (ended || Date.now() > until) throw new Error(`dist/keel did not print ${re}:\n${out}`);
        await Bun.sleep(20);
      }
    },
  };
}

let dir = "";
let backend: Backend;
const running: Running[] = [];

beforeAll(() => {
  ensureBinary();
  dir = mkdtempSync(join(tmpdir(), "keel-binary-"));
  backend = startBackend();
  const r = Bun.spawnSync(
    ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
    { stdout: "pipe", stderr: "pipe" },
  );
  if (r.exitCode !== 0) throw new Error(`openssl (needed for the https case) failed: ${r.stderr.toString()}`);
});

afterAll(async () => {
  for (const r of running) {
    r.proc.kill("SIGKILL");
    await r.proc.exited;
  }
  backend?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const config = (listen: string) => `listen: ${listen}
admin: { port: 0, host: 127.0.0.1 }
server: { drainTimeout: 500ms }
upstreams:
  b: { endpoints: ["http://${backend.authority}"] }
routes:
  - { name: all, upstream: b }
`;

describe("dist/keel", () => {
  test("check examples/keel.yaml from the repository root: the summary, the memory table, ok", async () => {
    const r = await runCli(["check", "examples/keel.yaml"], { cmd: [BINARY] });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(r.stdout).toContain("routes (4");
    expect(r.stdout).toContain("memory at capacity");
    expect(r.stdout).toContain("examples/keel.yaml: ok");
  });

  test("check reports a bad config with file:line:col and exit 1, from another folder", async () => {
    writeFileSync(join(dir, "bad.yaml"), "upstreams: {}\nroutes: []\n");
    const r = await runCli(["check", "bad.yaml"], { cmd: [BINARY], cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("bad.yaml:1:12:");
  });

  test("run over https from another folder: proxies a request, serves the embedded dashboard, drains on SIGTERM", async () => {
    writeFileSync(join(dir, "tls.yaml"), config("{ port: 0, host: 127.0.0.1, tls: { cert: ./cert.pem, key: ./key.pem } }"));
    const keel = startBinary(["run", "--workers", "1", "tls.yaml"], dir);
    running.push(keel);
    const url = (await keel.waitFor(/proxy listening on (https:\/\/\S+)/))[1]!;
    const admin = (await keel.waitFor(/admin on (http:\/\/\S+)/))[1]!;
    const res = await fetch(`${url}/via-binary`, { tls: { rejectUnauthorized: false } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { target: string }).target).toBe("/via-binary");
    expect(backend.requests.at(-1)!.headers.get("x-forwarded-proto")).toBe("https");
    const page = await fetch(`${admin}/dashboard`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>Keel · live</title>");
    keel.proc.kill("SIGTERM");
    expect(await keel.proc.exited).toBe(0);
    expect(keel.output()).toContain("keel: stopped");
  });

  test("run --workers 2: the binary starts itself as the workers, and they proxy", async () => {
    writeFileSync(join(dir, "workers.yaml"), config("{ port: 0, host: 127.0.0.1 }"));
    const keel = startBinary(["run", "--workers", "2", "workers.yaml"], dir);
    running.push(keel);
    const url = (await keel.waitFor(/proxy listening on (http:\/\/\S+)/))[1]!;
    const res = await fetch(`${url}/from-a-worker`);
    expect(res.status).toBe(200);
    expect(backend.requests.some((r) => r.target === "/from-a-worker")).toBe(true);
    keel.proc.kill("SIGTERM");
    expect(await keel.proc.exited).toBe(0);
  });
});

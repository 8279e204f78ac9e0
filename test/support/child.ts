// Keel as a child process (`bun src/cli/main.ts run FILE`), for what needs a process of its own:
// signals, exit codes, RSS. The config is written to a temp file; stop() kills and cleans up.

import type { Subprocess } from "bun";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withDefaults } from "./gateway.ts";

export const REPO_ROOT = join(import.meta.dir, "..", "..");
export const BUN = process.execPath;

export interface KeelChild {
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  readonly pid: number;
  readonly url: string;
  readonly port: number;
  readonly adminUrl: string;
  /** stdout + stderr so far. */
  output(): string;
  /** Resolves once `re` appears in the output (throws after timeoutMs, with the output). */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  readonly exited: Promise<number>;
  /** Kill (SIGKILL) if still running, wait for the exit, remove the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** Write a config to a fresh temp dir; returns its path and a cleanup. */
export function tempConfig(text: string, name = "keel.yaml"): { file: string; dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "keel-test-"));
  const file = join(dir, name);
  writeFileSync(file, text);
  return { file, dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Run a CLI command to completion; returns the exit code and output. */
export async function runCli(args: string[], opts: { cwd?: string; cmd?: string[] } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([...(opts.cmd ?? [BUN, "src/cli/main.ts"]), ...args], { cwd: opts.cwd ?? REPO_ROOT, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/**
 * Start `keel run` on the YAML (listen/admin on port 0 unless given) and wait for its listening lines.
 * One process (`--workers 1`) unless `workers` says otherwise; `args` go before the file.
 */
export async function spawnKeel(yaml: string, opts: { env?: Record<string, string>; startTimeoutMs?: number; workers?: number; args?: string[] } = {}): Promise<KeelChild> {
  const cfg = tempConfig(withDefaults(yaml));
  const proc = Bun.spawn([BUN, "src/cli/main.ts", "run", "--workers", String(opts.workers ?? 1), ...(opts.args ?? []), cfg.file], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...opts.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let out = "";
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of stream) out += dec.decode(chunk, { stream: true });
  };
  const pumped = Promise.all([pump(proc.stdout), pump(proc.stderr)]).catch(() => {});
  let exitCode: number | null = null;
  const exited = proc.exited.then(async (code) => {
    exitCode = code;
    await pumped;
    return code;
  });

  const waitForOutput = async (re: RegExp, timeoutMs = 10_000) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const m = out.match(re);
      if (m) return m;
      if (exitCode !== null) {
        await pumped;
        const late = out.match(re);
        if (late) return late;
        throw new Error(`keel exited (${exitCode}) before printing ${re}:\n${out}`);
      }
      if (Date.now() > until) throw new Error(`timed out waiting for ${re} in keel's output:\n${out}`);
      await Bun.sleep(10);
    }
  };

  let stopped: Promise<void> | null = null;
  const stop = () =>
    (stopped ??= (async () => {
      if (exitCode === null) proc.kill("SIGKILL");
      await exited;
      cfg.remove();
    })());

  try {
    const proxy = await waitForOutput(/proxy listening on (http:\/\/\S+)/, opts.startTimeoutMs);
    const admin = /^admin:\s*false/m.test(yaml) ? null : await waitForOutput(/admin on (http:\/\/\S+)/, opts.startTimeoutMs);
    const url = proxy[1]!;
    return {
      proc,
      pid: proc.pid,
      url,
      port: Number(new URL(url).port),
      adminUrl: admin?.[1] ?? "",
      output: () => out,
      waitForOutput,
      exited,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

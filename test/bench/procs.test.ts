// cpuTicks: the CPU time bench scripts read from /proc to get each Keel's CPU per request.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuTicks } from "../../bench/lib/procs.ts";

describe("cpuTicks", () => {
  test("reads user + system ticks of a live process, never fewer later", () => {
    const first = cpuTicks(process.pid);
    expect(Number.isInteger(first)).toBe(true);
    expect(first).toBeGreaterThanOrEqual(0);
    let s = 0;
    for (let i = 0; i < 1e6; i++) s += i;
    expect(s).toBeGreaterThan(0);
    expect(cpuTicks(process.pid)).toBeGreaterThanOrEqual(first);
  });

  test("reads a process whose name holds a parenthesis and a space", async () => {
    // /proc/PID/stat puts the name (the executable's) in parentheses: the fields count from the last ") ".
    const dir = mkdtempSync(join(tmpdir(), "keel-procs-"));
    const odd = join(dir, "a) b");
    symlinkSync(Bun.which("sleep")!, odd);
    const child = Bun.spawn([odd, "5"]);
    try {
      await Bun.sleep(100);
      expect(readFileSync(`/proc/${child.pid}/stat`, "utf8")).toContain("(a) b)");
      const ticks = cpuTicks(child.pid);
      expect(Number.isInteger(ticks)).toBe(true);
      expect(ticks).toBeGreaterThanOrEqual(0);
    } finally {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("throws for a process that is gone", async () => {
    const child = Bun.spawn(["true"]);
    await child.exited;
    await Bun.sleep(50);
    expect(() => cpuTicks(child.pid)).toThrow();
  });
});

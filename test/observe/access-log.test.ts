// The access log's parts: the line's shape and phases, sampling, the buffer cap, reopen after a
// rotation, and following the plan in force (a reload).

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AccessLogPlan } from "../../src/config/plan.ts";
import { accessLine, phaseDurations, type AccessEntry } from "../../src/observe/access-log/access-line.ts";
import { AccessLog } from "../../src/observe/access-log/access-log.ts";
import type { LogSink } from "../../src/observe/access-log/log-sink.ts";

const entry = (over: Partial<AccessEntry> = {}): AccessEntry => ({
  requestId: "r1",
  method: "GET",
  path: "/a",
  route: "main",
  upstream: "backend",
  endpoint: "http://127.0.0.1:9001",
  status: 200,
  code: null,
  bytes: 12,
  clientIp: "127.0.0.1",
  start: 1000,
  routedAt: 1000.5,
  admittedAt: 1001,
  headAt: 1003,
  end: 1003.25,
  ...over,
});

/** A sink that keeps what it was given and completes writes when told. */
class HeldSink implements LogSink {
  chunks: string[] = [];
  held: Array<() => void> = [];
  reopened = 0;
  closed = false;
  hold = false;
  write(chunk: Uint8Array, done: (err: Error | null) => void): void {
    const finish = () => {
      this.chunks.push(new TextDecoder().decode(chunk));
      done(null);
    };
    if (this.hold) this.held.push(finish);
    else queueMicrotask(finish);
  }
  release(): void {
    for (const f of this.held.splice(0)) f();
  }
  reopen() {
    this.reopened++;
    return { ok: true as const };
  }
  close(): void {
    this.closed = true;
  }
  lines(): Record<string, unknown>[] {
    return this.chunks.join("").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
  }
}

function logWith(spec: { current: AccessLogPlan | null }, sinks: Record<string, HeldSink>): AccessLog {
  const log = new AccessLog({
    planInForce: () => spec.current,
    open: (path) => ({ ok: true, sink: (sinks[path] ??= new HeldSink()) }),
    warn: () => {},
  });
  expect(log.start()).toEqual({ ok: true });
  return log;
}

const plan = (over: Partial<AccessLogPlan> = {}): AccessLogPlan => ({ path: "a", sample: 1, bufferBytes: 1 << 20, ...over });

describe("the line", () => {
  test("has the documented fields, in order", () => {
    const line = JSON.parse(accessLine(entry()));
    expect(Object.keys(line)).toEqual(["time", "requestId", "method", "path", "route", "upstream", "endpoint", "status", "code", "bytes", "clientIp", "durations"]);
    expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(line.durations).toEqual({ total: 3.25, route: 0.5, admit: 0.5, upstream: 2, respond: 0.25 });
  });

  test.each([
    ["stopped while routing (404)", { routedAt: 0, admittedAt: 0, headAt: 0, end: 1002 }, { total: 2, route: 2, admit: null, upstream: null, respond: null }],
    ["stopped in admission (429)", { admittedAt: 0, headAt: 0, end: 1002 }, { total: 2, route: 0.5, admit: 1.5, upstream: null, respond: null }],
    ["stopped upstream (502)", { headAt: 0, end: 1004 }, { total: 4, route: 0.5, admit: 0.5, upstream: 3, respond: null }],
    ["answered", {}, { total: 3.25, route: 0.5, admit: 0.5, upstream: 2, respond: 0.25 }],
  ] as const)("phases: %s", (_, over, want) => {
    expect(phaseDurations(entry(over))).toEqual(want);
  });

  test("phases add up to the total (property)", () => {
    const mark = fc.double({ min: 0, max: 1000, noNaN: true });
    fc.assert(
      fc.property(mark, mark, mark, mark, fc.integer({ min: 0, max: 3 }), (a, b, c, d, reached) => {
        const start = 1;
        const [r, ad, h, e] = [start + a, start + a + b, start + a + b + c, start + a + b + c + d];
        const d2 = phaseDurations(entry({ start, routedAt: reached >= 1 ? r : 0, admittedAt: reached >= 2 ? ad : 0, headAt: reached >= 3 ? h : 0, end: e }));
        const sum = d2.route + (d2.admit ?? 0) + (d2.upstream ?? 0) + (d2.respond ?? 0);
        expect(Math.abs(sum - d2.total)).toBeLessThan(0.01);
      }),
    );
  });
});

describe("the buffer", () => {
  test("sample 0 logs only 4xx and 5xx", async () => {
    const sinks: Record<string, HeldSink> = {};
    const log = logWith({ current: plan({ sample: 0 }) }, sinks);
    const statuses = [200, 204, 301, 404, 429, 502, 503];
    for (const s of statuses) if (log.wants(s)) log.push(accessLine(entry({ status: s })));
    await log.flushed();
    expect(sinks.a!.lines().map((l) => l.status)).toEqual([404, 429, 502, 503]);
    expect(log.linesWritten).toBe(4);
    await log.close();
  });

  test("sample 0.5 logs about half of the 2xx (bounds 9 standard deviations wide)", async () => {
    const log = logWith({ current: plan({ sample: 0.5 }) }, {});
    let n = 0;
    for (let i = 0; i < 2000; i++) if (log.wants(200)) n++;
    expect(n).toBeGreaterThan(800);
    expect(n).toBeLessThan(1200);
    await log.close();
  });

  test("past bufferSize waiting, lines are dropped and counted; the rest are written in order", async () => {
    const sinks: Record<string, HeldSink> = {};
    const line = accessLine(entry());
    const log = logWith({ current: plan({ bufferBytes: (line.length + 1) * 5 }) }, sinks);
    sinks.a!.hold = true;
    for (let i = 0; i < 3; i++) log.push(accessLine(entry({ requestId: `r${i}` })));
    await Bun.sleep(30); // the flush timer hands 3 lines to the held sink
    for (let i = 3; i < 10; i++) log.push(accessLine(entry({ requestId: `r${i}` })));
    expect(log.linesDropped).toBe(5); // 3 in flight + 2 queued fill the 5 lines' room
    sinks.a!.hold = false;
    sinks.a!.release();
    await log.flushed();
    expect(sinks.a!.lines().map((l) => l.requestId)).toEqual(["r0", "r1", "r2", "r3", "r4"]);
    expect(log.linesWritten).toBe(5);
    await log.close();
  });

  test("follows the plan in force: a new path opens a new sink, off stops logging, the same path keeps its sink", async () => {
    const sinks: Record<string, HeldSink> = {};
    const spec: { current: AccessLogPlan | null } = { current: plan() };
    const log = logWith(spec, sinks);
    log.push("1");
    await log.flushed();
    spec.current = plan({ path: "b" });
    expect(log.wants(200)).toBe(true);
    log.push("2");
    await log.flushed();
    expect(sinks.a!.closed).toBe(true);
    spec.current = null;
    expect(log.wants(500)).toBe(false);
    spec.current = plan({ path: "b", sample: 0 });
    expect(log.wants(200)).toBe(false);
    expect(log.wants(500)).toBe(true);
    log.push("3");
    await log.flushed();
    expect(sinks.a!.chunks.join("")).toBe("1\n");
    expect(sinks.b!.chunks.join("")).toBe("2\n3\n");
    expect(sinks.b!.closed).toBe(false);
    await log.close();
    expect(sinks.b!.closed).toBe(true);
  });
});

describe("a file", () => {
  test("reopen after a rename: old lines stay in the renamed file, new ones go to a new file, none lost", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-access-"));
    try {
      const path = join(dir, "access.log");
      const log = new AccessLog({ planInForce: () => plan({ path }) });
      expect(log.start()).toEqual({ ok: true });
      for (let i = 0; i < 100; i++) log.push(`{"n":${i}}`);
      await log.flushed();
      renameSync(path, path + ".1");
      for (let i = 100; i < 150; i++) log.push(`{"n":${i}}`); // written to the renamed file or the new one
      expect(log.reopen()).toEqual({ ok: true });
      for (let i = 150; i < 200; i++) log.push(`{"n":${i}}`);
      await log.close();
      const old = readFileSync(path + ".1", "utf8").trim().split("\n").map((l) => JSON.parse(l).n);
      const fresh = readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l).n);
      expect(old.slice(0, 100)).toEqual(Array.from({ length: 100 }, (_, i) => i));
      expect([...old, ...fresh]).toEqual(Array.from({ length: 200 }, (_, i) => i));
      expect(fresh).toContain(199);
      expect(log.linesWritten).toBe(200);
      expect(log.linesDropped).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a path that cannot be opened is an error at start", async () => {
    const log = new AccessLog({ planInForce: () => plan({ path: "/nonexistent-dir/x/access.log" }), warn: () => {} });
    const r = log.start();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain("cannot open access log /nonexistent-dir/x/access.log");
    await log.close();
  });
});

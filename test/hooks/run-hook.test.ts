import { describe, expect, test } from "bun:test";
import { runHook } from "../../src/hooks/run-hook.ts";

const NAME = "onRequest (hooks/users.ts)";

describe("runHook", () => {
  test("a synchronous value comes back synchronously (no promise)", () => {
    const out = runHook(() => 42, 50, NAME);
    expect(out instanceof Promise).toBe(false);
    expect(out).toMatchObject({ ok: true, value: 42 });
    expect((out as { ms: number }).ms).toBeGreaterThanOrEqual(0);
  });

  test("undefined (a hook that just mutates) is a synchronous success", () => {
    expect(runHook(() => undefined, 50, NAME)).toMatchObject({ ok: true, value: undefined });
  });

  test("a synchronous throw → KEEL_HOOK_FAILED with the message, not the stack", () => {
    const out = runHook(() => {
      throw new Error("no user\n  at somewhere");
    }, 50, NAME);
    expect(out instanceof Promise).toBe(false);
    expect(out).toMatchObject({ ok: false, code: "KEEL_HOOK_FAILED", detail: `${NAME} failed: no user` });
  });

  test("a thrown non-Error is described", () => {
    expect(runHook(() => { throw "plain string"; }, 50, NAME)).toMatchObject({ ok: false, detail: `${NAME} failed: plain string` });
  });

  test("an async value resolves to ok", async () => {
    const out = runHook(async () => ({ status: 401 }), 1000, NAME);
    expect(out instanceof Promise).toBe(true);
    expect(await out).toMatchObject({ ok: true, value: { status: 401 } });
  });

  test("a rejection → KEEL_HOOK_FAILED", async () => {
    expect(await runHook(() => Promise.reject(new Error("db down")), 1000, NAME)).toMatchObject({ ok: false, code: "KEEL_HOOK_FAILED", detail: `${NAME} failed: db down` });
  });

  test("a thenable that is not a Promise is awaited too", async () => {
    const thenable = { then: (ok: (v: number) => void) => ok(7) };
    expect(await runHook(() => thenable as unknown as Promise<number>, 1000, NAME)).toMatchObject({ ok: true, value: 7 });
  });

  test("a promise that does not settle in time → KEEL_HOOK_TIMEOUT; its late rejection is not unhandled", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      let lateRejected = false;
      const late = () =>
        new Promise<void>((_, reject) =>
          setTimeout(() => {
            lateRejected = true;
            reject(new Error("too late"));
          }, 40),
        );
      const out = await runHook(late, 5, NAME);
      expect(out).toMatchObject({ ok: false, code: "KEEL_HOOK_TIMEOUT", detail: `${NAME} did not finish within 5 ms` });
      // Let the late rejection happen and give the runtime turns to report it, were it unhandled
      // (bun test also fails the test by itself on an unhandled rejection).
      while (!lateRejected) await Bun.sleep(5);
      await Bun.sleep(10);
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  test("a late resolution after the timeout is ignored", async () => {
    const out = await runHook(() => new Promise((r) => setTimeout(() => r("late"), 30)), 5, NAME);
    expect(out.ok).toBe(false);
  });
});

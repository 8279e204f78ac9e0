// Runs one hook call with a time limit and turns every way it can go wrong into a typed outcome.
// A synchronous hook costs no promise and no timer; only a returned thenable arms the timer.
import { thrownMessage } from "./thrown-message.ts";

export type HookOutcome<T> =
  | { ok: true; value: T; ms: number }
  | { ok: false; code: "KEEL_HOOK_FAILED" | "KEEL_HOOK_TIMEOUT"; detail: string; ms: number };

// setTimeout fires at once for delays past 2^31-1 ms; clamp so a huge limit stays huge.
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Calls `call` and reports its value, its throw or rejection (KEEL_HOOK_FAILED) or, for a promise
 * not settled within `timeoutMs`, KEEL_HOOK_TIMEOUT. `name` (e.g. "onRequest (hooks/users.ts)")
 * starts each detail. Returns synchronously when the call does not return a thenable.
 */
export function runHook<T>(call: () => T | Promise<T>, timeoutMs: number, name: string): HookOutcome<T> | Promise<HookOutcome<T>> {
  const start = performance.now();
  let value: T | Promise<T>;
  try {
    value = call();
    // Reading `then` runs user code too (a getter), so it stays inside the try.
    if (!isThenable(value)) return { ok: true, value, ms: performance.now() - start };
  } catch (e) {
    return failed(name, e, start);
  }
  return settleWithin(value, timeoutMs, name, start);
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === "object" || typeof v === "function") && typeof (v as { then?: unknown }).then === "function";
}

function failed(name: string, e: unknown, start: number): HookOutcome<never> {
  return { ok: false, code: "KEEL_HOOK_FAILED", detail: `${name} failed: ${thrownMessage(e)}`, ms: performance.now() - start };
}

function settleWithin<T>(pending: PromiseLike<T>, timeoutMs: number, name: string, start: number): Promise<HookOutcome<T>> {
  return new Promise((resolve) => {
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      resolve({ ok: false, code: "KEEL_HOOK_TIMEOUT", detail: `${name} did not finish within ${timeoutMs} ms`, ms: performance.now() - start });
    }, Math.min(Math.max(timeoutMs, 0), MAX_TIMER_MS));
    // Both handlers are always attached, so a rejection after the timeout is still handled (and ignored).
    Promise.resolve(pending).then(
      (value) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({ ok: true, value, ms: performance.now() - start });
      },
      (e: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(failed(name, e, start));
      },
    );
  });
}

// The request path imports running and reply checking together from here.
export { checkReply } from "./check-reply.ts";

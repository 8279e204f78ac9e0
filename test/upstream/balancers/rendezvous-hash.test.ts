import { describe, expect, test } from "bun:test";
import type { BalancePlan } from "../../../src/resilience/types.ts";
import { createBalancer, type BalancerEndpoint } from "../../../src/upstream/balancer.ts";

const HASH: BalancePlan = { kind: "hash", key: { kind: "header", name: "x-user" } };
const URLS = ["http://10.0.0.1:8080", "http://10.0.0.2:8080", "http://10.0.0.3:8080", "http://10.0.0.4:8080"];
const KEYS = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);

const eps = (urls: readonly string[], weight = (_i: number) => 1): BalancerEndpoint[] =>
  urls.map((url, i) => ({ url, weight: weight(i) }));

/** The URL each key lands on. */
function assign(urls: readonly string[], available = new Uint8Array(urls.length).fill(1)): string[] {
  const b = createBalancer(HASH, eps(urls), available);
  return KEYS.map((k) => urls[b.pick(k)]!);
}

function chiSquare(counts: readonly number[], expected: readonly number[]): number {
  return counts.reduce((s, c, i) => s + (c - expected[i]!) ** 2 / expected[i]!, 0);
}

describe("rendezvous hashing", () => {
  test("the same key always lands on the same endpoint", () => {
    const b = createBalancer(HASH, eps(URLS), new Uint8Array(4).fill(1));
    for (const k of KEYS.slice(0, 200)) expect(b.pick(k)).toBe(b.pick(k));
  });

  test("adding a fourth endpoint to three moves 15–35% of 10,000 keys, all of them to the new one", () => {
    const before = assign(URLS.slice(0, 3));
    const after = assign(URLS);
    let moved = 0;
    for (let i = 0; i < KEYS.length; i++) {
      if (before[i] === after[i]) continue;
      moved++;
      expect(after[i]).toBe(URLS[3]!);
    }
    expect(moved / KEYS.length).toBeGreaterThan(0.15);
    expect(moved / KEYS.length).toBeLessThan(0.35);
  });

  test("removing one of four moves ~25%: only its keys, and keys of the survivors never move", () => {
    const before = assign(URLS);
    // Removed from the list (the others shift index; identity is the URL)...
    const removed = assign([URLS[0]!, URLS[2]!, URLS[3]!]);
    // ...or marked unavailable by the health layer.
    const av = new Uint8Array(4).fill(1);
    av[1] = 0;
    const ejected = assign(URLS, av);
    let moved = 0;
    for (let i = 0; i < KEYS.length; i++) {
      if (before[i] === URLS[1]) moved++;
      else {
        expect(removed[i]).toBe(before[i]!);
        expect(ejected[i]).toBe(before[i]!);
      }
      expect(removed[i]).toBe(ejected[i]!);
    }
    expect(moved / KEYS.length).toBeGreaterThan(0.2);
    expect(moved / KEYS.length).toBeLessThan(0.3);
  });

  test("endpoint order does not matter: identity is the URL", () => {
    const a = assign(URLS);
    const b = assign([...URLS].reverse());
    expect(b).toEqual(a);
  });

  test("even spread over 3 endpoints and over 4", () => {
    for (const n of [3, 4]) {
      const counts = new Map<string, number>();
      for (const u of assign(URLS.slice(0, n))) counts.set(u, (counts.get(u) ?? 0) + 1);
      const c = URLS.slice(0, n).map((u) => counts.get(u) ?? 0);
      // df = n - 1; 13.8 (df 2) and 16.3 (df 3) are p ≈ 0.001.
      expect(chiSquare(c, c.map(() => KEYS.length / n))).toBeLessThan(n === 3 ? 13.8 : 16.3);
    }
  });

  test("a down endpoint's keys spread over the rest, not onto one", () => {
    const before = assign(URLS);
    const av = new Uint8Array(4).fill(1);
    av[0] = 0;
    const after = assign(URLS, av);
    const to = new Map<string, number>();
    for (let i = 0; i < KEYS.length; i++) if (before[i] === URLS[0]) to.set(after[i]!, (to.get(after[i]!) ?? 0) + 1);
    const c = [1, 2, 3].map((j) => to.get(URLS[j]!) ?? 0);
    const total = c.reduce((a, b) => a + b, 0);
    expect(chiSquare(c, c.map(() => total / 3))).toBeLessThan(13.8);
  });

  test("avoid gives the key's second choice, the endpoint it would land on with the first one down", () => {
    const b = createBalancer(HASH, eps(URLS), new Uint8Array(4).fill(1));
    const av = new Uint8Array(4).fill(1);
    const down = createBalancer(HASH, eps(URLS), av);
    for (const k of KEYS.slice(0, 500)) {
      const first = b.pick(k);
      av.fill(1);
      av[first] = 0;
      expect(b.pick(k, first)).toBe(down.pick(k));
    }
  });

  test("weights 1,2,3,4 give shares of 10/20/30/40%, and adding weight moves only onto that endpoint", () => {
    const w = [1, 2, 3, 4];
    const b = createBalancer(HASH, eps(URLS, (i) => w[i]!), new Uint8Array(4).fill(1));
    const counts = [0, 0, 0, 0];
    const before = KEYS.map((k) => b.pick(k));
    for (const i of before) counts[i]!++;
    expect(chiSquare(counts, w.map((x) => (x / 10) * KEYS.length))).toBeLessThan(16.3);
    const heavier = createBalancer(HASH, eps(URLS, (i) => (i === 0 ? 3 : w[i]!)), new Uint8Array(4).fill(1));
    for (let i = 0; i < KEYS.length; i++) {
      const now = heavier.pick(KEYS[i]!);
      if (now !== before[i]) expect(now).toBe(0);
    }
  });

  test("an empty key (the request lacks it) spreads at random instead of piling onto one endpoint", () => {
    let seed = 7;
    const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const b = createBalancer(HASH, eps(URLS.slice(0, 3)), new Uint8Array(3).fill(1), rand);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[b.pick("")]!++;
    expect(chiSquare(counts, [10_000, 10_000, 10_000])).toBeLessThan(13.8);
    const noArgs = b.pick();
    expect(noArgs).toBeGreaterThanOrEqual(0);
  });
});

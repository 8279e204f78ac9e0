// The stage every hostile-input test plays on: a running gateway, a "good" backend its routes send
// to, and an "evil" backend no route names (hostile requests name it in Host headers and targets;
// it must end every case with nothing). One table row = exact bytes over a raw socket and who must
// answer: Bun's listener (its own plain answer, before Keel sees anything), Keel (a problem+json,
// counted in /metrics), or the good backend (the request was forwarded, within its route).

import { expect } from "bun:test";
import type { ErrorCode } from "../../../src/errors.ts";
import { startBackend, type Backend, type Recorded } from "../../support/backend.ts";
import { startKeel, type TestGateway } from "../../support/gateway.ts";
import { parseResponse, rawRequest, responseComplete, type ParsedResponse } from "../../support/raw-client.ts";
import type { UpstreamClient } from "../../../src/upstream/client.ts";

/** Who answers a hostile request, and with what. */
export type Expected =
  /** Bun's HTTP parser refuses it: a plain answer (no problem, no request id) and a closed connection; `status: null` = closed without an answer. */
  | { readonly by: "bun"; readonly status: number | null }
  /** Keel refuses it: a problem+json with this code, counted as keel_problems_total{route,code}. */
  | { readonly by: "keel"; readonly code: ErrorCode; readonly status: number; readonly route?: string }
  /** Forwarded to the good backend (never anywhere else), which must see what `seen` checks. */
  | { readonly by: "backend"; readonly seen: (r: Recorded) => void; readonly requests?: number };

export interface Row {
  readonly name: string;
  /** The request bytes (latin1 for strings, so "\xff" is one byte). */
  readonly bytes: () => string | Uint8Array;
  readonly expect: Expected;
}

export interface HostileStage {
  readonly gw: TestGateway;
  readonly good: Backend;
  readonly evil: Backend;
  /** "127.0.0.1:PORT" of the evil backend, for Host headers and absolute-form targets. */
  readonly evilAuthority: string;
  stop(): Promise<void>;
}

/**
 * Routes every hostile test can aim at: `public` (prefix /public), `admin` (host admin.internal,
 * prefix /admin), `json` (request JSON rules, maxDepth 16, maxBytes 1kb), `validated` (a body schema
 * only). Keel's own header caps sit below Bun's so both layers can be seen answering 431.
 */
export function startHostileStage(client?: UpstreamClient): HostileStage {
  const good = startBackend();
  const evil = startBackend();
  const gw = startKeel(
    `server:
  drainTimeout: 200ms
  maxHeaderCount: 100
  maxHeaderBytes: 8kb
upstreams:
  good: { endpoints: ["http://${good.authority}"] }
routes:
  - { name: public, match: { pathPrefix: /public }, upstream: good }
  - { name: admin, match: { host: admin.internal, pathPrefix: /admin }, upstream: good }
  - name: json
    match: { pathPrefix: /json }
    upstream: good
    normalize: { request: { json: { omit: [secret], maxDepth: 16, maxBytes: 1kb } } }
  - name: validated
    match: { pathPrefix: /validated }
    upstream: good
    validate: { body: { type: object, properties: { qty: { type: integer } } } }
`,
    { client },
  );
  return {
    gw,
    good,
    evil,
    evilAuthority: evil.authority,
    stop: async () => {
      await gw.stop();
      good.stop();
      evil.stop();
    },
  };
}

/** keel_problems_total{route,code} as /metrics shows it now (0 before the code is first seen). */
export async function problemCount(stage: HostileStage, route: string, code: string): Promise<number> {
  const text = await (await fetch(`${stage.gw.adminUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`keel_problems_total{route="${route}",code="${code}"} `));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
}

/** keel_requests_in_flight as /metrics shows it now. */
export async function inFlight(stage: HostileStage): Promise<number> {
  const text = await (await fetch(`${stage.gw.adminUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith("keel_requests_in_flight "));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(" ") + 1));
}

/** Send the row's bytes; check who answered, that the evil backend got nothing, and the metric. */
export async function runRow(stage: HostileStage, row: Row): Promise<ParsedResponse | null> {
  const { good, evil, gw } = stage;
  const e = row.expect;
  const route = e.by === "keel" ? (e.route ?? "(none)") : "";
  const countBefore = e.by === "keel" ? await problemCount(stage, route, e.code) : 0;
  const goodBefore = good.requests.length;
  const bytes = row.bytes();
  // Bun's refusals are read to the close (that the connection ends is part of the check).
  const until = e.by === "bun" ? undefined : responseComplete;
  const raw = await rawRequest(gw.port, typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes, { until });
  const res = raw.text.includes("\r\n\r\n") ? parseResponse(raw.text) : null;

  expect(evil.requests.length).toBe(0);
  if (e.by === "bun") {
    // Bun's refusals carry neither a problem document nor a request id, and end the connection.
    expect(res?.status ?? null).toBe(e.status);
    if (res !== null) {
      expect(res.get("x-request-id")).toBeNull();
      expect(res.get("content-type")).not.toBe("application/problem+json");
    }
    expect(raw.closedByPeer).toBe(true);
    expect(good.requests.length).toBe(goodBefore);
  } else if (e.by === "keel") {
    expect(res).not.toBeNull();
    expect(res!.status).toBe(e.status);
    expect(res!.get("content-type")).toBe("application/problem+json");
    const problem = JSON.parse(res!.body) as Record<string, unknown>;
    expect(problem.code).toBe(e.code);
    expect(problem.requestId).toBe(res!.get("x-request-id"));
    expect(good.requests.length).toBe(goodBefore);
    expect(await problemCount(stage, route, e.code)).toBe(countBefore + 1);
  } else {
    expect(res).not.toBeNull();
    expect(res!.status).toBe(200);
    expect(good.requests.length - goodBefore).toBe(e.requests ?? 1);
    e.seen(good.requests[goodBefore]!);
  }
  return res;
}

/** A well-formed request right after: the gateway still serves. */
export async function expectServing(stage: HostileStage): Promise<void> {
  const before = stage.good.requests.length;
  const res = await fetch(`${stage.gw.url}/public/still-serving`);
  expect(res.status).toBe(200);
  await res.arrayBuffer();
  // (Counted by target: a request the previous case let through may land late.)
  expect(stage.good.requests.slice(before).map((r) => r.target)).toContain("/public/still-serving");
  expect(stage.evil.requests.length).toBe(0);
}

import { describe, expect, test } from "bun:test";
import { forwardHeaders, plainIp, type ForwardFacts } from "../../src/pipeline/forward-headers.ts";

const facts: ForwardFacts = {
  authority: "10.0.0.5:9001",
  clientIp: "192.0.2.7",
  proto: "http",
  originalHost: "api.example.com",
  requestIdHeader: "x-request-id",
  requestId: "abc-1",
};

/** Flat list → name → values. */
function asMap(flat: string[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (let i = 0; i < flat.length; i += 2) m.set(flat[i]!, [...(m.get(flat[i]!) ?? []), flat[i + 1]!]);
  return m;
}

describe("forwardHeaders", () => {
  test("drops hop-by-hop fields and the ones Connection names; keeps the rest", () => {
    const incoming = new Headers({
      connection: "keep-alive, X-Session-Hop",
      "keep-alive": "timeout=5",
      te: "trailers",
      trailer: "x-t",
      upgrade: "websocket",
      "proxy-connection": "keep-alive",
      "proxy-authorization": "Basic Zm9vOmJhcg==",
      "transfer-encoding": "chunked",
      "x-session-hop": "secret",
      accept: "application/json",
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      tracestate: "vendor=1",
      cookie: "a=1",
    });
    const out = asMap(forwardHeaders(incoming, facts));
    for (const gone of ["connection", "keep-alive", "te", "trailer", "upgrade", "proxy-connection", "proxy-authorization", "transfer-encoding", "x-session-hop"]) {
      expect(out.has(gone)).toBe(false);
    }
    expect(out.get("accept")).toEqual(["application/json"]);
    expect(out.get("traceparent")).toEqual(["00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"]);
    expect(out.get("tracestate")).toEqual(["vendor=1"]);
    expect(out.get("cookie")).toEqual(["a=1"]);
  });

  test("sets Host, X-Forwarded-*, Forwarded and the id, replacing the client's copies", () => {
    const incoming = new Headers({
      host: "api.example.com",
      "x-forwarded-for": "6.6.6.6",
      "x-forwarded-host": "spoofed",
      "x-forwarded-proto": "https",
      forwarded: "for=6.6.6.6",
      "x-request-id": "client-chosen",
      "content-length": "5",
    });
    const out = asMap(forwardHeaders(incoming, facts));
    expect(out.get("host")).toEqual(["10.0.0.5:9001"]);
    expect(out.get("x-forwarded-for")).toEqual(["192.0.2.7"]);
    expect(out.get("x-forwarded-proto")).toEqual(["http"]);
    expect(out.get("x-forwarded-host")).toEqual(["api.example.com"]);
    expect(out.get("forwarded")).toEqual(["for=192.0.2.7;proto=http;host=api.example.com"]);
    expect(out.get("x-request-id")).toEqual(["abc-1"]);
    expect(out.has("content-length")).toBe(false); // the client frames the body itself
  });

  test("Forwarded brackets and quotes IPv6, quotes a host that is not a token; no host → no X-Forwarded-Host", () => {
    const out = asMap(forwardHeaders(new Headers(), { ...facts, clientIp: "2001:db8::1", originalHost: "[::1]:8080" }));
    expect(out.get("forwarded")).toEqual([`for="[2001:db8::1]";proto=http;host="[::1]:8080"`]);
    const noHost = asMap(forwardHeaders(new Headers(), { ...facts, originalHost: "" }));
    expect(noHost.has("x-forwarded-host")).toBe(false);
    expect(noHost.get("forwarded")).toEqual(["for=192.0.2.7;proto=http"]);
  });

  test("plainIp reports IPv4-mapped addresses as IPv4", () => {
    expect(plainIp("::ffff:127.0.0.1")).toBe("127.0.0.1");
    expect(plainIp("::1")).toBe("::1");
    expect(plainIp("10.1.2.3")).toBe("10.1.2.3");
    expect(plainIp(undefined)).toBe("unknown");
  });
});

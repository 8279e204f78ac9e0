import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { envelopeError, type EnvelopeContext } from "../../../src/normalize/error-envelope/envelope-error.ts";

const ctx: EnvelopeContext = { route: "users", upstream: "users-svc", requestId: "req-1" };
const utf8 = new TextEncoder();

function envelope(status: number, contentType: string | null, body: string | Uint8Array, opts: { truncated?: boolean; extraHeaders?: string[] } = {}) {
  const headers = [...(contentType === null ? [] : ["content-type", contentType]), ...(opts.extraHeaders ?? [])];
  const bytes = typeof body === "string" ? utf8.encode(body) : body;
  const env = envelopeError(status, headers, bytes, opts.truncated ?? false, ctx);
  const problem = JSON.parse(new TextDecoder().decode(env.body)) as Record<string, unknown>;
  return { env, problem };
}

function header(flat: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) if (flat[i] === name) out.push(flat[i + 1]!);
  return out;
}

describe("envelopeError: the problem's frame", () => {
  test("keeps the backend status and sets Keel's members", () => {
    const { env, problem } = envelope(404, "application/json", '{"message":"no such user"}');
    expect(env.status).toBe(404);
    expect(problem).toEqual({
      type: "urn:keel:error:KEEL_UPSTREAM_ERROR_RESPONSE",
      title: "The upstream answered with an error",
      status: 404,
      detail: "no such user",
      code: "KEEL_UPSTREAM_ERROR_RESPONSE",
      route: "users",
      upstream: "users-svc",
      phase: "upstream",
      requestId: "req-1",
      upstreamStatus: 404,
      upstreamBody: { message: "no such user" },
    });
  });

  test("headers: backend ones kept, body-describing ones replaced", () => {
    const { env } = envelope(503, "text/plain", "down", {
      extraHeaders: ["retry-after", "5", "content-length", "4", "set-cookie", "a=1", "etag", '"x"', "content-encoding", "identity", "set-cookie", "b=2"],
    });
    expect(header(env.headers, "retry-after")).toEqual(["5"]);
    expect(header(env.headers, "set-cookie")).toEqual(["a=1", "b=2"]);
    expect(header(env.headers, "etag")).toEqual([]);
    expect(header(env.headers, "content-encoding")).toEqual([]);
    expect(header(env.headers, "content-type")).toEqual(["application/problem+json"]);
    expect(header(env.headers, "content-length")).toEqual([String(env.body.byteLength)]);
  });
});

describe("envelopeError: detail from a JSON body", () => {
  const cases: { name: string; body: unknown; detail: string }[] = [
    { name: "detail", body: { detail: "d", message: "m" }, detail: "d" },
    { name: "message", body: { message: "m", error: "e" }, detail: "m" },
    { name: "error_description", body: { error: "invalid_grant", error_description: "token expired" }, detail: "token expired" },
    { name: "error as a string", body: { error: "boom", title: "t" }, detail: "boom" },
    { name: "error as an object", body: { error: { code: 7, message: "quota exceeded" } }, detail: "quota exceeded" },
    { name: "title", body: { title: "Conflict happened" }, detail: "Conflict happened" },
    { name: "non-string fields are skipped", body: { detail: 5, message: null, error: { code: 1 }, title: "t" }, detail: "t" },
    { name: "empty strings are skipped", body: { detail: "  ", message: "m" }, detail: "m" },
    { name: "no known field", body: { status: "bad" }, detail: "upstream answered 422 Unprocessable Content" },
    { name: "a JSON array", body: [{ message: "m" }], detail: "upstream answered 422 Unprocessable Content" },
    { name: "a JSON string", body: "just text", detail: "upstream answered 422 Unprocessable Content" },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const { problem } = envelope(422, "application/json; charset=utf-8", JSON.stringify(c.body));
      expect(problem.detail).toBe(c.detail);
      expect(problem.upstreamBody).toEqual(c.body);
    });
  }

  test("+json media types are JSON", () => {
    expect(envelope(400, "application/vnd.api+json", '{"message":"m"}').problem.detail).toBe("m");
  });

  test("a body without Content-Type that parses as JSON is JSON", () => {
    expect(envelope(400, null, ' {"message":"m"}').problem.detail).toBe("m");
  });

  test("a JSON body over 4 KB gives its detail but is not carried whole", () => {
    const big = { message: "m", padding: "x".repeat(5000) };
    const { problem } = envelope(500, "application/json", JSON.stringify(big));
    expect(problem.detail).toBe("m");
    expect("upstreamBody" in problem).toBe(false);
  });

  test("invalid JSON falls back to the status", () => {
    const { problem } = envelope(500, "application/json", '{"message": "m"');
    expect(problem.detail).toBe("upstream answered 500 Internal Server Error");
    expect("upstreamBody" in problem).toBe(false);
  });

  test("invalid UTF-8 in a JSON body is not JSON", () => {
    const bytes = new Uint8Array([...utf8.encode('{"message":"'), 0xff, 0xfe, ...utf8.encode('"}')]);
    const { problem } = envelope(500, "application/json", bytes);
    expect(problem.detail).toBe("upstream answered 500 Internal Server Error");
  });

  test("JSON nested too deep for the parser does not throw", () => {
    const { problem } = envelope(500, "application/json", "[".repeat(200_000) + "]".repeat(200_000));
    expect(problem.status).toBe(500);
  });
});

describe("envelopeError: a problem+json backend", () => {
  test("keeps type, title, instance and extension members; Keel's members win", () => {
    const backend = {
      type: "https://example.com/probs/out-of-credit",
      title: "You do not have enough credit.",
      status: 200,
      detail: "Your current balance is 30, but that costs 50.",
      instance: "/account/12345/msgs/abc",
      balance: 30,
      accounts: ["/account/12345"],
      code: "BACKEND_CODE",
      route: "spoofed",
      requestId: "spoofed",
      phase: "spoofed",
    };
    const { env, problem } = envelope(403, "application/problem+json", JSON.stringify(backend));
    expect(env.status).toBe(403);
    expect(problem.type).toBe(backend.type);
    expect(problem.title).toBe(backend.title);
    expect(problem.instance).toBe(backend.instance);
    expect(problem.detail).toBe(backend.detail);
    expect(problem.status).toBe(403);
    expect(problem.balance).toBe(30);
    expect(problem.accounts).toEqual(["/account/12345"]);
    expect(problem.code).toBe("KEEL_UPSTREAM_ERROR_RESPONSE");
    expect(problem.route).toBe("users");
    expect(problem.requestId).toBe("req-1");
    expect(problem.phase).toBe("upstream");
    expect(problem.upstreamStatus).toBe(403);
    expect(problem.upstreamBody).toEqual(backend);
  });

  test("non-string type/title/instance are not kept", () => {
    const { problem } = envelope(400, "application/problem+json", JSON.stringify({ type: 5, title: null, instance: {} }));
    expect(problem.type).toBe("urn:keel:error:KEEL_UPSTREAM_ERROR_RESPONSE");
    expect(problem.title).toBe("The upstream answered with an error");
    expect("instance" in problem).toBe(false);
  });

  test("a __proto__ member does not change the envelope's prototype", () => {
    const { problem } = envelope(400, "application/problem+json", '{"__proto__":{"polluted":true},"x":1}');
    expect(problem.x).toBe(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(problem.polluted).toBeUndefined();
  });
});

describe("envelopeError: other bodies", () => {
  test("text/plain: its first line-folded 200 characters", () => {
    const text = "Service\r\nunavailable:\tmaintenance\u0007 " + "x".repeat(300);
    const { problem } = envelope(503, "text/plain; charset=utf-8", text);
    const detail = problem.detail as string;
    expect(detail.startsWith("Service unavailable: maintenance x")).toBe(true);
    expect(detail.length).toBe(200);
    expect(/[\u0000-\u001f\u007f]/.test(detail)).toBe(false);
    expect("upstreamBody" in problem).toBe(false);
  });

  test("text/html: markup, head and scripts removed", () => {
    const html = "<!DOCTYPE html><html><head><title>x</title><style>body{color:red}</style></head><body><script>var a=1;</script><h1>502 Bad&nbsp;Gateway</h1>\n<hr><center>nginx</center></body></html>";
    expect(envelope(502, "text/html", html).problem.detail).toBe("502 Bad Gateway nginx");
  });

  test("empty body: the status and its reason phrase", () => {
    expect(envelope(404, null, "").problem.detail).toBe("upstream answered 404 Not Found");
    expect(envelope(503, "application/json", "").problem.detail).toBe("upstream answered 503 Service Unavailable");
  });

  test("a status without a registered phrase", () => {
    expect(envelope(499, null, "").problem.detail).toBe("upstream answered 499");
  });

  test("invalid UTF-8 in a text body: replacement characters, no throw", () => {
    const { problem } = envelope(500, "text/plain", new Uint8Array([0x62, 0x61, 0x64, 0x20, 0xc3, 0x28, 0xff]));
    expect(problem.detail).toBe("bad \ufffd(\ufffd");
  });

  test("binary bodies are not quoted", () => {
    expect(envelope(500, "application/octet-stream", "secret bytes").problem.detail).toBe("upstream answered 500 Internal Server Error");
  });

  test("a truncated JSON body: status-only detail, no upstreamBody", () => {
    const { problem } = envelope(500, "application/json", '{"message":"m"}', { truncated: true });
    expect(problem.detail).toBe("upstream answered 500 Internal Server Error");
    expect("upstreamBody" in problem).toBe(false);
  });

  test("a huge truncated text body: the snippet of what was read", () => {
    const { env, problem } = envelope(500, "text/plain", "oops ".repeat(200_000), { truncated: true });
    expect(problem.detail).toBe("oops ".repeat(40).trim());
    expect(env.body.byteLength).toBeLessThan(2000);
  });

  test("a gzip-encoded body is not decoded: status-only detail", () => {
    const gz = Bun.gzipSync(utf8.encode('{"message":"compressed"}'));
    const { env, problem } = envelope(500, "application/json", gz, { extraHeaders: ["content-encoding", "gzip"] });
    expect(problem.detail).toBe("upstream answered 500 Internal Server Error");
    expect("upstreamBody" in problem).toBe(false);
    expect(header(env.headers, "content-encoding")).toEqual([]);
  });
});

describe("envelopeError properties", () => {
  const contentTypes = fc.constantFrom(null, "application/json", "application/problem+json", "text/plain", "text/html", "application/octet-stream", "Text/HTML; charset=latin1");

  test("never throws on arbitrary bytes, and always produces problem+json", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 400, max: 599 }),
        contentTypes,
        fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.json().map((s) => utf8.encode(s)), fc.string().map((s) => utf8.encode(s))),
        fc.boolean(),
        fc.constantFrom([], ["content-encoding", "gzip"], ["content-encoding", "identity"], ["x-a", "1"]),
        (status, contentType, body, truncated, extra) => {
          const headers = [...(contentType === null ? [] : ["content-type", contentType]), ...extra];
          const env = envelopeError(status, headers, body, truncated, ctx);
          expect(env.status).toBe(status);
          const problem = JSON.parse(new TextDecoder().decode(env.body));
          expect(problem.status).toBe(status);
          expect(problem.code).toBe("KEEL_UPSTREAM_ERROR_RESPONSE");
          expect(typeof problem.detail).toBe("string");
          expect(header(env.headers, "content-length")).toEqual([String(env.body.byteLength)]);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

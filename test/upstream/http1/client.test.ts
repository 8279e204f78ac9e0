import { UpstreamCancel } from "../../../src/upstream/cancel.ts";
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { serializeHead } from "../../../src/upstream/http1/connection.ts";
import { drainError, endpoint, ok, pattern, patternStream, request, sha256, streamOf, text, until, upstream , tracked } from "./helpers.ts";

const t = tracked();
const client = t.client;
const raw = t.raw;
afterEach(t.closeAll);

// One Bun.serve backend for normal traffic.
const backend = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  maxRequestBodySize: 64 * 1024 * 1024,
  async fetch(req, server) {
    const url = new URL(req.url);
    const peer = server.requestIP(req)?.port ?? 0;
    switch (url.pathname) {
      case "/peer":
        return new Response(String(peer));
      case "/upload": {
        const data = new Uint8Array(await req.arrayBuffer());
        return Response.json({ length: data.length, sha: sha256(data), cl: req.headers.get("content-length"), te: req.headers.get("transfer-encoding") });
      }
      case "/download":
        return new Response(pattern(0, Number(url.searchParams.get("n"))));
      case "/download-chunked": {
        const total = Number(url.searchParams.get("n"));
        return new Response(patternStream(total, 100_000)); // no length: sent chunked
      }
      case "/gate": {
        // Hold every request until `want` are in flight, so they need separate connections.
        const want = Number(url.searchParams.get("want"));
        gate.arrived++;
        await until(() => gate.arrived >= want, "requests at the gate");
        return new Response(String(peer));
      }
      default:
        return new Response(`hello ${req.method} ${url.pathname}${url.search}`, { headers: { "x-backend": "bun" } });
    }
  },
});
const gate = { arrived: 0 };
afterAll(() => backend.stop(true));
const bep = endpoint(backend.port!);
const bup = upstream(bep);

describe("Http1Client against Bun.serve", () => {
  test("a simple GET: status, lower-case headers, body, declared length", async () => {
    const c = client();
    const res = ok(await c.send(bep, bup, request(bep, { target: "/hi?x=1" })));
    expect(res.status).toBe(200);
    expect(await text(res.body)).toBe("hello GET /hi?x=1");
    expect(res.bodyLength).toBe(17);
    const names = res.headers.filter((_, i) => i % 2 === 0);
    expect(names).toContain("x-backend");
    expect(names).toContain("content-length");
    for (const n of names) expect(n).toBe(n.toLowerCase());
  });

  test("keep-alive: 100 sequential requests share one connection", async () => {
    const c = client();
    const peers = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const res = ok(await c.send(bep, bup, request(bep, { target: "/peer" })));
      peers.add(await text(res.body));
    }
    expect(peers.size).toBe(1);
    expect(c.connectionsOpened).toBe(1);
    expect(c.connectionsReused).toBe(99);
    expect(c.idleConnections()).toBe(1);
    expect(c.activeConnections()).toBe(0);
  });

  test("parallel requests open several connections; the pool keeps at most maxIdlePerEndpoint", async () => {
    const c = client();
    const up = upstream(bep, { maxIdlePerEndpoint: 3 });
    gate.arrived = 0;
    const all = await Promise.all(Array.from({ length: 8 }, () => c.send(bep, up, request(bep, { target: "/gate?want=8" }))));
    const peers = new Set<string>();
    for (const r of all) peers.add(await text(ok(r).body));
    expect(peers.size).toBe(8);
    expect(c.connectionsOpened).toBe(8);
    expect(c.idleConnections()).toBe(3);
    expect(c.activeConnections()).toBe(0);
    // Later requests reuse the pooled ones.
    for (let i = 0; i < 5; i++) await text(ok(await c.send(bep, up, request(bep, { target: "/peer" }))).body);
    expect(c.connectionsOpened).toBe(8);
  });

  test("a 20 MB upload with content-length arrives intact", async () => {
    const c = client();
    const total = 20 * 1024 * 1024;
    const res = ok(await c.send(bep, bup, request(bep, { method: "POST", target: "/upload", body: patternStream(total), bodyLength: total })));
    const got = JSON.parse(await text(res.body));
    expect(got).toEqual({ length: total, sha: sha256(pattern(0, total)), cl: String(total), te: null });
  });

  test("a 20 MB upload of unknown length goes chunked and arrives intact", async () => {
    const c = client();
    const total = 20 * 1024 * 1024 + 123;
    // Mixed chunk sizes: small ones are coalesced with their framing, large ones are not.
    const res = ok(await c.send(bep, bup, request(bep, { method: "PUT", target: "/upload", body: patternStream(total, 40_000), bodyLength: -1 })));
    const got = JSON.parse(await text(res.body));
    expect(got).toEqual({ length: total, sha: sha256(pattern(0, total)), cl: null, te: "chunked" });
    // The connection is reusable after a streamed upload.
    ok(await c.send(bep, bup, request(bep)));
    expect(c.connectionsOpened).toBe(1);
  });

  test("a 20 MB download arrives intact (content-length and chunked)", async () => {
    const c = client();
    const total = 20 * 1024 * 1024;
    const want = sha256(pattern(0, total));
    const a = ok(await c.send(bep, bup, request(bep, { target: `/download?n=${total}` })));
    expect(a.bodyLength).toBe(total);
    const bytesA = new Uint8Array(await new Response(a.body).arrayBuffer());
    expect(bytesA.length).toBe(total);
    expect(sha256(bytesA)).toBe(want);
    const b = ok(await c.send(bep, bup, request(bep, { target: `/download-chunked?n=${total}` })));
    expect(b.bodyLength).toBe(-1);
    const bytesB = new Uint8Array(await new Response(b.body).arrayBuffer());
    expect(sha256(bytesB)).toBe(want);
    expect(c.connectionsOpened).toBe(1);
  });

  test("HEAD has no body and keeps the connection", async () => {
    const c = client();
    const res = ok(await c.send(bep, bup, request(bep, { method: "HEAD", target: "/x" })));
    expect(res.body).toBeNull();
    expect(res.bodyLength).toBeGreaterThan(0);
    ok(await c.send(bep, bup, request(bep)));
    expect(c.connectionsOpened).toBe(1);
  });
});

describe("Http1Client against scripted backends", () => {
  const resp = (body: string, extra = "") => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;

  test("the request head: one line per field, framing by method and body", async () => {
    const heads: string[] = [];
    const s = raw((conn, _n, head) => {
      heads.push(head);
      conn.socket.write(resp("ok"));
    });
    const c = client();
    const ep = endpoint(s.port);
    const up = upstream(ep);
    await text(ok(await c.send(ep, up, request(ep, { target: "/a?b=c", headers: ["host", ep.authority, "x-a", "1"] }))).body);
    await text(ok(await c.send(ep, up, request(ep, { method: "POST", target: "/p" }))).body);
    await text(ok(await c.send(ep, up, request(ep, { method: "DELETE", target: "/d" }))).body);
    await text(ok(await c.send(ep, up, request(ep, { method: "POST", target: "/c", body: new Response("abc").body, bodyLength: -1 }))).body);
    await text(ok(await c.send(ep, up, request(ep, { method: "PUT", target: "/l", body: new Response("abcd").body, bodyLength: 4 }))).body);
    expect(heads).toEqual([
      `GET /a?b=c HTTP/1.1\r\nhost: ${ep.authority}\r\nx-a: 1\r\n\r\n`,
      `POST /p HTTP/1.1\r\nhost: ${ep.authority}\r\ncontent-length: 0\r\n\r\n`,
      `DELETE /d HTTP/1.1\r\nhost: ${ep.authority}\r\n\r\n`,
      `POST /c HTTP/1.1\r\nhost: ${ep.authority}\r\ntransfer-encoding: chunked\r\n\r\n`,
      `PUT /l HTTP/1.1\r\nhost: ${ep.authority}\r\ncontent-length: 4\r\n\r\n`,
    ]);
    expect(s.conns[0]!.received).toContain("transfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    expect(s.conns[0]!.received.endsWith("content-length: 4\r\n\r\nabcd")).toBe(true);
    expect(s.conns.length).toBe(1);
  });

  test("header values with CR/LF are refused, not sent", async () => {
    const ep = endpoint(1);
    expect(serializeHead(request(ep, { headers: ["x-a", "1\r\nx-evil: 1"] }))).toBeNull();
    expect(serializeHead(request(ep, { headers: ["x-a", "1\nx"] }))).toBeNull();
    expect(serializeHead(request(ep, { target: "/a b" }))).toBeNull();
    expect(serializeHead(request(ep, { headers: ["x-a", "fine"] }))).toBe("GET / HTTP/1.1\r\nx-a: fine\r\n\r\n");
    const c = client();
    const r = await c.send(ep, upstream(ep), request(ep, { headers: ["x-a", "1\r\n\r\nGET /smuggled HTTP/1.1"] }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failure.code).toBe("KEEL_INTERNAL");
  });

  test("latin1 header values go out as single bytes", async () => {
    const s = raw((conn) => conn.socket.write(resp("ok")));
    const c = client();
    const ep = endpoint(s.port);
    await text(ok(await c.send(ep, upstream(ep), request(ep, { headers: ["x-name", "caf\u00e9"] }))).body);
    expect(s.conns[0]!.received).toContain("x-name: caf\u00e9\r\n"); // latin1 view: one byte 0xE9
  });

  test("a port nobody listens on → KEEL_UPSTREAM_CONNECT_REFUSED naming the endpoint", async () => {
    const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = l.port;
    l.stop(true);
    const c = client();
    const ep = endpoint(port);
    const r = await c.send(ep, upstream(ep), request(ep));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.failure.code).toBe("KEEL_UPSTREAM_CONNECT_REFUSED");
      expect(r.failure.detail).toContain(ep.url);
    }
    expect(c.activeConnections()).toBe(0);
  });

  test("an unresolvable host → KEEL_UPSTREAM_UNREACHABLE", async () => {
    const c = client();
    const ep = endpoint(80, "keel-test.invalid");
    const r = await c.send(ep, upstream(ep), request(ep));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failure.code).toBe("KEEL_UPSTREAM_UNREACHABLE");
  });

  test.if(process.platform === "linux")("a connect that never completes → KEEL_UPSTREAM_CONNECT_TIMEOUT", async () => {
    const { port, fill, close } = fullBacklogListener();
    try {
      await fill();
      const c = client();
      const ep = endpoint(port);
      const r = await c.send(ep, upstream(ep, { connectTimeoutMs: 100 }), request(ep));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.failure.code).toBe("KEEL_UPSTREAM_CONNECT_TIMEOUT");
    } finally {
      close();
    }
  });

  test("closed before any response → KEEL_UPSTREAM_RESET", async () => {
    const s = raw((conn) => conn.socket.end());
    const c = client();
    const ep = endpoint(s.port);
    const r = await c.send(ep, upstream(ep), request(ep));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failure.code).toBe("KEEL_UPSTREAM_RESET");
  });

  test("reset in the middle of the head → KEEL_UPSTREAM_RESET", async () => {
    const s = raw((conn) => {
      conn.socket.write("HTTP/1.1 200 OK\r\nContent-Le");
      setTimeout(() => conn.socket.terminate(), 5);
    });
    const c = client();
    const ep = endpoint(s.port);
    const r = await c.send(ep, upstream(ep), request(ep));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failure.code).toBe("KEEL_UPSTREAM_RESET");
  });

  test("malformed head → KEEL_UPSTREAM_BAD_RESPONSE and the socket is closed", async () => {
    const s = raw((conn) => conn.socket.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello"));
    const c = client();
    const ep = endpoint(s.port);
    const r = await c.send(ep, upstream(ep), request(ep));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.failure.code).toBe("KEEL_UPSTREAM_BAD_RESPONSE");
      expect(r.failure.detail).toContain(ep.url);
    }
    await until(() => s.conns[0]!.closed, "backend socket closed");
  });

  test("reset mid-body (content-length) → the body stream errors with KEEL_UPSTREAM_RESET_MID_RESPONSE", async () => {
    const s = raw((conn) => {
      conn.socket.write("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + "x".repeat(1000));
      setTimeout(() => conn.socket.terminate(), 10);
    });
    const c = client();
    const ep = endpoint(s.port);
    const res = ok(await c.send(ep, upstream(ep), request(ep)));
    expect(res.bodyLength).toBe(100000);
    const err = (await drainError(res.body!)) as { code?: string; detail?: string } | null;
    expect(err?.code).toBe("KEEL_UPSTREAM_RESET_MID_RESPONSE");
    expect(err?.detail).toContain(ep.url);
    expect(c.activeConnections()).toBe(0);
    expect(c.idleConnections()).toBe(0);
  });

  test("closed mid-body (chunked) → the body stream errors", async () => {
    const s = raw((conn) => {
      conn.socket.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
      setTimeout(() => conn.socket.end(), 10);
    });
    const c = client();
    const ep = endpoint(s.port);
    const res = ok(await c.send(ep, upstream(ep), request(ep)));
    const err = (await drainError(res.body!)) as { code?: string } | null;
    expect(err?.code).toBe("KEEL_UPSTREAM_RESET_MID_RESPONSE");
  });

  test("a close-delimited body ends at close and the connection is not reused", async () => {
    const s = raw((conn) => {
      conn.socket.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\npart one,");
      setTimeout(() => {
        conn.socket.write(" part two");
        conn.socket.end();
      }, 10);
    });
    const c = client();
    const ep = endpoint(s.port);
    const res = ok(await c.send(ep, upstream(ep), request(ep)));
    expect(res.bodyLength).toBe(-1);
    expect(await text(res.body)).toBe("part one, part two");
    expect(c.idleConnections()).toBe(0);
  });

  test("a backend sending two responses: the first is returned, the connection destroyed", async () => {
    const s = raw((conn) => conn.socket.write(resp("A") + resp("B")));
    const c = client();
    const ep = endpoint(s.port);
    const up = upstream(ep);
    expect(await text(ok(await c.send(ep, up, request(ep))).body)).toBe("A");
    await until(() => s.conns[0]!.closed, "first connection closed");
    expect(await text(ok(await c.send(ep, up, request(ep))).body)).toBe("A");
    expect(c.connectionsOpened).toBe(2);
  });

  test("a backend sending more than content-length: the extra is not taken as the next response", async () => {
    const s = raw((conn) => conn.socket.write("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil"));
    const c = client();
    const ep = endpoint(s.port);
    const up = upstream(ep);
    expect(await text(ok(await c.send(ep, up, request(ep))).body)).toBe("abc");
    expect(await text(ok(await c.send(ep, up, request(ep))).body)).toBe("abc");
    expect(c.connectionsReused).toBe(0);
  });

  test("unsolicited bytes on an idle connection: it is dropped from the pool", async () => {
    const s = raw((conn) => {
      conn.socket.write(resp("ok"));
      setTimeout(() => conn.socket.write("HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n"), 10);
    });
    const c = client();
    const ep = endpoint(s.port);
    await text(ok(await c.send(ep, upstream(ep), request(ep))).body);
    await until(() => c.idleConnections() === 0, "idle connection dropped");
    await until(() => s.conns[0]!.closed, "backend sees the close");
  });

  test("Connection: close from the backend → not reused", async () => {
    const s = raw((conn) => conn.socket.write(resp("bye", "Connection: close\r\n")));
    const c = client();
    const ep = endpoint(s.port);
    const up = upstream(ep);
    const res = ok(await c.send(ep, up, request(ep)));
    expect(res.headers).not.toContain("connection");
    expect(await text(res.body)).toBe("bye");
    await text(ok(await c.send(ep, up, request(ep))).body);
    expect(c.connectionsOpened).toBe(2);
    expect(c.connectionsReused).toBe(0);
  });

  test("100 Continue and 103 Early Hints are skipped", async () => {
    const s = raw((conn) => {
      conn.socket.write("HTTP/1.1 100 Continue\r\n\r\n");
      setTimeout(() => {
        conn.socket.write("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n");
        setTimeout(() => conn.socket.write(resp("final", "X-Final: 1\r\n")), 5);
      }, 5);
    });
    const c = client();
    const ep = endpoint(s.port);
    const res = ok(await c.send(ep, upstream(ep), request(ep)));
    expect(res.status).toBe(200);
    expect(res.headers).toContain("x-final");
    expect(res.headers).not.toContain("link");
    expect(await text(res.body)).toBe("final");
  });

  test("204 and 304 have no body and keep the connection", async () => {
    const s = raw((conn, n) => {
      if (n === 0) conn.socket.write("HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n");
      else conn.socket.write('HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n');
    });
    const c = client();
    const ep = endpoint(s.port);
    const up = upstream(ep);
    const a = ok(await c.send(ep, up, request(ep)));
    expect([a.status, a.body, a.bodyLength]).toEqual([204, null, -1]);
    const b = ok(await c.send(ep, up, request(ep)));
    expect([b.status, b.body]).toEqual([304, null]);
    expect(c.connectionsOpened).toBe(1);
  });

  test("a body trickling in byte by byte is reassembled (chunked with extensions and trailers)", async () => {
    const wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: x-sum\r\n\r\n4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nX-Sum: 9\r\n\r\n";
    const s = raw((conn) => {
      let i = 0;
      const step = () => {
        if (i < wire.length) {
          conn.socket.write(wire[i++]!);
          setTimeout(step, 0);
        }
      };
      step();
    });
    const c = client();
    const ep = endpoint(s.port);
    const up = upstream(ep);
    const res = ok(await c.send(ep, up, request(ep)));
    expect(res.headers).toEqual([]);
    expect(await text(res.body)).toBe("Wikipedia");
    await until(() => c.idleConnections() === 1, "connection pooled");
  });

  test("a stalled backend + abort: the backend sees its socket close; KEEL_CLIENT_CLOSED", async () => {
    const s = raw(() => {}); // never answers
    const c = client();
    const ep = endpoint(s.port);
    const ac = new UpstreamCancel();
    const pending = c.send(ep, upstream(ep), request(ep, { cancel: ac }));
    await until(() => s.conns.length === 1 && s.conns[0]!.requests === 1, "request at the backend");
    ac.cancel("KEEL_CLIENT_CLOSED");
    const r = await pending;
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failure.code).toBe("KEEL_CLIENT_CLOSED");
    await until(() => s.conns[0]!.closed, "backend socket closed");
    expect(c.activeConnections()).toBe(0);
  });

  test("cancel with the timeout code → KEEL_UPSTREAM_TIMEOUT", async () => {
    const s = raw(() => {});
    const c = client();
    const ep = endpoint(s.port);
    const ac = new UpstreamCancel();
    const pending = c.send(ep, upstream(ep), request(ep, { cancel: ac }));
    await until(() => s.conns[0]?.requests === 1, "request at the backend");
    ac.cancel("KEEL_UPSTREAM_TIMEOUT");
    const r = await pending;
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failure.code).toBe("KEEL_UPSTREAM_TIMEOUT");
    const ac2 = new UpstreamCancel();
    ac2.cancel("KEEL_UPSTREAM_TIMEOUT");
    const r2 = await c.send(ep, upstream(ep), request(ep, { cancel: ac2 }));
    if (!r2.ok) expect(r2.failure.code).toBe("KEEL_UPSTREAM_TIMEOUT");
    else throw new Error("expected a failure");
  });

  test("abort while the body streams: the body errors, the backend sees the close", async () => {
    const s = raw((conn) => conn.socket.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nfirst"));
    const c = client();
    const ep = endpoint(s.port);
    const ac = new UpstreamCancel();
    const res = ok(await c.send(ep, upstream(ep), request(ep, { cancel: ac })));
    const reader = streamOf(res.body).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe("first");
    ac.cancel("KEEL_CLIENT_CLOSED");
    const err = await reader.read().then(
      () => null,
      (e) => e as { code?: string },
    );
    expect(err?.code).toBe("KEEL_CLIENT_CLOSED");
    await until(() => s.conns[0]!.closed, "backend socket closed");
  });

  test("the consumer cancelling the body destroys the socket", async () => {
    const s = raw((conn) => conn.socket.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nsome"));
    const c = client();
    const ep = endpoint(s.port);
    const res = ok(await c.send(ep, upstream(ep), request(ep)));
    await streamOf(res.body).cancel("client left");
    await until(() => s.conns[0]!.closed, "backend socket closed");
    expect(c.idleConnections()).toBe(0);
    expect(c.activeConnections()).toBe(0);
  });

  test("an exchange cancelled before it is sent fails at once without connecting", async () => {
    const c = client();
    const ep = endpoint(1);
    const ac = new UpstreamCancel();
    ac.cancel("KEEL_CLIENT_CLOSED");
    const r = await c.send(ep, upstream(ep), request(ep, { cancel: ac }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failure.code).toBe("KEEL_CLIENT_CLOSED");
    expect(c.connectionsOpened).toBe(0);
  });

  test("stale pooled socket (backend closed it as the request arrived): retried once on a fresh connection", async () => {
    const s = raw((conn, n) => {
      if (conn.id === 0 && n === 1) conn.socket.terminate(); // the keep-alive race
      else conn.socket.write(resp(`conn ${conn.id}`));
    });
    const c = client();
    const ep = endpoint(s.port);
    const up = upstream(ep);
    expect(await text(ok(await c.send(ep, up, request(ep))).body)).toBe("conn 0");
    expect(await text(ok(await c.send(ep, up, request(ep))).body)).toBe("conn 1");
    expect(c.connectionsOpened).toBe(2);
  });

  test("stale pooled socket with a request body: not retried → KEEL_UPSTREAM_RESET", async () => {
    const s = raw((conn, n) => {
      if (conn.id === 0 && n === 1) conn.socket.terminate();
      else conn.socket.write(resp("ok"));
    });
    const c = client();
    const ep = endpoint(s.port);
    const up = upstream(ep);
    await text(ok(await c.send(ep, up, request(ep))).body);
    const r = await c.send(ep, up, request(ep, { method: "POST", body: new Response("data").body, bodyLength: 4 }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failure.code).toBe("KEEL_UPSTREAM_RESET");
    expect(s.conns.length).toBe(1);
  });

  test("the retry happens once: a fresh connection that also fails → KEEL_UPSTREAM_RESET", async () => {
    const s = raw((conn, n) => {
      if (conn.id === 0 && n === 0) conn.socket.write(resp("ok"));
      else conn.socket.terminate();
    });
    const c = client();
    const ep = endpoint(s.port);
    const up = upstream(ep);
    await text(ok(await c.send(ep, up, request(ep))).body);
    const r = await c.send(ep, up, request(ep));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failure.code).toBe("KEEL_UPSTREAM_RESET");
    expect(s.conns.length).toBe(2);
  });

  test("a pooled socket the backend closes while idle leaves the pool", async () => {
    const s = raw((conn) => {
      conn.socket.write(resp("ok"));
      setTimeout(() => conn.socket.end(), 10);
    });
    const c = client();
    const ep = endpoint(s.port);
    const up = upstream(ep);
    await text(ok(await c.send(ep, up, request(ep))).body);
    await until(() => c.idleConnections() === 0, "pool emptied");
    expect(await text(ok(await c.send(ep, up, request(ep))).body)).toBe("ok");
    expect(c.connectionsReused).toBe(0);
  });

  test("idle connections are closed after idleTimeoutMs", async () => {
    const s = raw((conn) => conn.socket.write(resp("ok")));
    const c = client();
    const ep = endpoint(s.port);
    await text(ok(await c.send(ep, upstream(ep, { idleTimeoutMs: 30 }), request(ep))).body);
    expect(c.idleConnections()).toBe(1);
    await until(() => c.idleConnections() === 0, "idle timeout");
    await until(() => s.conns[0]!.closed, "backend sees the close");
  });

  test("maxIdlePerEndpoint 0: nothing is pooled", async () => {
    const s = raw((conn) => conn.socket.write(resp("ok")));
    const c = client();
    const ep = endpoint(s.port);
    const up = upstream(ep, { maxIdlePerEndpoint: 0 });
    await text(ok(await c.send(ep, up, request(ep))).body);
    await text(ok(await c.send(ep, up, request(ep))).body);
    expect(c.connectionsOpened).toBe(2);
    expect(c.idleConnections()).toBe(0);
  });

  test("close() closes idle connections; later requests still work", async () => {
    const s = raw((conn) => conn.socket.write(resp("ok")));
    const c = client();
    const ep = endpoint(s.port);
    const up = upstream(ep);
    await text(ok(await c.send(ep, up, request(ep))).body);
    expect(c.idleConnections()).toBe(1);
    c.close();
    expect(c.idleConnections()).toBe(0);
    await until(() => s.conns[0]!.closed, "backend sees the close");
    expect(await text(ok(await c.send(ep, up, request(ep))).body)).toBe("ok");
  });

  test("an early response while the upload is still going: delivered, connection not reused", async () => {
    const s = raw((conn) => conn.socket.write("HTTP/1.1 413 Content Too Large\r\nContent-Length: 3\r\n\r\nbig"));
    const c = client();
    const ep = endpoint(s.port);
    const up = upstream(ep);
    const total = 50 * 1024 * 1024;
    const res = ok(await c.send(ep, up, request(ep, { method: "POST", body: patternStream(total), bodyLength: total })));
    expect(res.status).toBe(413);
    expect(await text(res.body)).toBe("big");
    expect(c.idleConnections()).toBe(0);
    await until(() => s.conns[0]!.closed, "upload connection closed");
  });

  test("an early response while the client's upload stalls: the upload stream is cancelled", async () => {
    const s = raw((conn) => conn.socket.write("HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno"));
    const c = client();
    const ep = endpoint(s.port);
    let cancelled = false;
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(ctl) {
        if (pulls++ === 0) ctl.enqueue(new Uint8Array(100));
        else return new Promise(() => {}); // the client stops sending
      },
      cancel() {
        cancelled = true;
      },
    });
    const res = ok(await c.send(ep, upstream(ep), request(ep, { method: "POST", body, bodyLength: 1000 })));
    expect(res.status).toBe(403);
    expect(await text(res.body)).toBe("no");
    await until(() => cancelled, "upload cancelled");
    expect(c.idleConnections()).toBe(0);
  });

  test("malformed chunked framing mid-body → the body stream errors with KEEL_UPSTREAM_BAD_RESPONSE", async () => {
    const s = raw((conn) => {
      conn.socket.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
      setTimeout(() => conn.socket.write("zz\r\n"), 10);
    });
    const c = client();
    const ep = endpoint(s.port);
    const res = ok(await c.send(ep, upstream(ep), request(ep)));
    const err = (await drainError(res.body!)) as { code?: string } | null;
    expect(err?.code).toBe("KEEL_UPSTREAM_BAD_RESPONSE");
    await until(() => s.conns[0]!.closed, "backend socket closed");
  });

  test("hop-by-hop response fields and the ones Connection names are removed", async () => {
    const s = raw((conn) =>
      conn.socket.write(
        "HTTP/1.1 200 OK\r\nConnection: x-hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nProxy-Authenticate: Basic\r\nUpgrade: h2c\r\n" +
          "Trailer: x-t\r\nX-End-To-End: yes\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T: 1\r\n\r\n",
      ),
    );
    const c = client();
    const ep = endpoint(s.port);
    const res = ok(await c.send(ep, upstream(ep), request(ep)));
    expect(res.headers).toEqual(["x-end-to-end", "yes"]);
    expect(res.bodyLength).toBe(-1);
    expect(await text(res.body)).toBe("ok");
    expect(c.idleConnections()).toBe(1); // Connection named a field, not close: still reusable
  });

  test("an https endpoint is refused clearly (no TLS in this client)", async () => {
    const c = client();
    const ep = { ...endpoint(443, "example.com"), url: "https://example.com" };
    const r = await c.send(ep, upstream(ep), request(ep));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failure.detail).toContain("https");
    expect(c.connectionsOpened).toBe(0);
  });

  test("a request body shorter than its declared length fails instead of hanging", async () => {
    const s = raw(() => {});
    const c = client();
    const ep = endpoint(s.port);
    const r = await c.send(ep, upstream(ep), request(ep, { method: "POST", body: new Response("abc").body, bodyLength: 10 }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failure.code).toBe("KEEL_INTERNAL");
  });

  test("a request body stream that fails → KEEL_CLIENT_CLOSED and the backend sees the close", async () => {
    const s = raw(() => {});
    const c = client();
    const ep = endpoint(s.port);
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(ctl) {
        if (pulls++ === 0) ctl.enqueue(new Uint8Array(10));
        else ctl.error(new Error("client went away"));
      },
    });
    const r = await c.send(ep, upstream(ep), request(ep, { method: "POST", body, bodyLength: 100 }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failure.code).toBe("KEEL_CLIENT_CLOSED");
    await until(() => s.conns[0]?.closed === true, "backend sees the close");
  });

  test("abort while connecting → KEEL_CLIENT_CLOSED at once", async () => {
    if (process.platform !== "linux") return;
    const { port, fill, close } = fullBacklogListener();
    try {
      await fill();
      const c = client();
      const ep = endpoint(port);
      const ac = new UpstreamCancel();
      const pending = c.send(ep, upstream(ep, { connectTimeoutMs: 60_000 }), request(ep, { cancel: ac }));
      await Bun.sleep(20);
      ac.cancel("KEEL_CLIENT_CLOSED");
      const r = await pending;
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.failure.code).toBe("KEEL_CLIENT_CLOSED");
    } finally {
      close();
    }
  });

  // The backend closes (FIN) after every possible prefix of a response: each outcome is one of
  // "reset before the head", "body errors mid-response" or "complete", never a short body passed as whole.
  const wires: [string, string, "length" | "chunked" | "close"][] = [
    ["content-length", "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-A: b\r\n\r\nhello world", "length"],
    ["chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nT: 1\r\n\r\n", "chunked"],
    ["close-delimited", "HTTP/1.1 200 OK\r\nX-A: b\r\n\r\nhello world", "close"],
  ];
  for (const [name, wire, kind] of wires) {
    test(`closed after every prefix of a ${name} response`, async () => {
      const headEnd = wire.indexOf("\r\n\r\n") + 4;
      let cut = 0;
      const s = raw((conn) => {
        conn.socket.write(wire.slice(0, cut));
        conn.socket.end();
      });
      const c = client();
      const ep = endpoint(s.port);
      const up = upstream(ep);
      for (cut = 0; cut <= wire.length; cut++) {
        const r = await c.send(ep, up, request(ep));
        if (cut < headEnd) {
          expect({ cut, code: r.ok ? "ok" : r.failure.code }).toEqual({ cut, code: "KEEL_UPSTREAM_RESET" });
          continue;
        }
        const res = ok(r);
        const complete = cut === wire.length || kind === "close";
        if (complete) {
          const want = kind === "close" ? wire.slice(headEnd, cut) : "hello world";
          expect({ cut, body: await text(res.body) }).toEqual({ cut, body: want });
        } else {
          const err = res.body === null ? null : ((await drainError(res.body)) as { code?: string } | null);
          expect({ cut, code: err?.code }).toEqual({ cut, code: "KEEL_UPSTREAM_RESET_MID_RESPONSE" });
        }
      }
      await until(() => c.idleConnections() === 0 && c.activeConnections() === 0, "every connection closed");
    });
  }

  test("upload backpressure: a backend that does not read holds the client's body stream back", async () => {
    let paused = false;
    const l = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data(sock) {
          if (!paused) {
            paused = true;
            sock.pause(); // stop reading: kernel buffers fill, then the client must wait for drain
          }
        },
      },
    });
    try {
      const c = client();
      const ep = endpoint(l.port);
      const total = 200 * 1024 * 1024;
      let pulled = 0;
      let lastPull = performance.now();
      const body = new ReadableStream<Uint8Array>({
        pull(ctl) {
          const n = Math.min(64 * 1024, total - pulled);
          if (n === 0) return ctl.close();
          pulled += n;
          lastPull = performance.now();
          ctl.enqueue(new Uint8Array(n));
        },
      });
      const ac = new UpstreamCancel();
      const pending = c.send(ep, upstream(ep), request(ep, { method: "POST", body, bodyLength: total, cancel: ac }));
      await until(() => pulled > 0 && performance.now() - lastPull > 200, "upload stalls");
      expect(pulled).toBeLessThan(total / 4);
      ac.cancel("KEEL_CLIENT_CLOSED");
      const r = await pending;
      expect(r.ok).toBe(false);
    } finally {
      l.stop(true);
    }
  });

  test("backpressure: a large response read slowly is not buffered (the backend is held back)", async () => {
    const total = 200 * 1024 * 1024;
    let written = 0;
    let lastWrite = 0;
    const chunk = new Uint8Array(256 * 1024);
    const l = Bun.listen<{ sending: boolean }>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(sock) {
          sock.data = { sending: false };
        },
        data(sock) {
          if (sock.data.sending) return;
          sock.data.sending = true;
          sock.write(`HTTP/1.1 200 OK\r\nContent-Length: ${total}\r\n\r\n`);
          pump(sock);
        },
        drain(sock) {
          pump(sock);
        },
      },
    });
    function pump(sock: { write(d: Uint8Array): number }) {
      while (written < total) {
        const n = sock.write(chunk.subarray(0, Math.min(chunk.length, total - written)));
        if (n > 0) {
          written += n;
          lastWrite = performance.now();
        }
        if (n < chunk.length) return;
      }
    }
    try {
      const c = client();
      const ep = endpoint(l.port);
      const res = ok(await c.send(ep, upstream(ep), request(ep)));
      const reader = streamOf(res.body).getReader();
      await reader.read(); // read one chunk, then stop reading
      // Wait until the backend can write no more (no progress for a while).
      await until(() => written > 0 && performance.now() - lastWrite > 200, "backend stalls");
      // Kernel buffers hold a few MB; the point is that the 200 MB did not all leave.
      expect(written).toBeLessThan(total / 4);
      // Reading on resumes the flow.
      const before = written;
      for (let i = 0; i < 50; i++) await reader.read();
      await until(() => written > before, "backend resumes");
      await reader.cancel();
    } finally {
      l.stop(true);
    }
  });
});

/** A listener whose accept queue is full (listen backlog 0, one pending connection): connects hang. */
function fullBacklogListener(): { port: number; fill: () => Promise<void>; close: () => void } {
  const { dlopen, FFIType, ptr } = require("bun:ffi") as typeof import("bun:ffi");
  const libc = dlopen("libc.so.6", {
    socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    listen: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    getsockname: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
  });
  const fd = libc.symbols.socket(2 /* AF_INET */, 1 /* SOCK_STREAM */, 0);
  const addr = new Uint8Array(16);
  addr[0] = 2;
  addr[4] = 127;
  addr[7] = 1;
  libc.symbols.bind(fd, ptr(addr), 16);
  libc.symbols.listen(fd, 0);
  const len = new Uint32Array([16]);
  libc.symbols.getsockname(fd, ptr(addr), ptr(len));
  const port = (addr[2]! << 8) | addr[3]!;
  const fillers: { end(): void }[] = [];
  return {
    port,
    async fill() {
      fillers.push(await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } }));
    },
    close() {
      for (const f of fillers) f.end();
      libc.symbols.close(fd);
      libc.close();
    },
  };
}

// listen.tls: certificate and key files checked at load (file:line:col errors), HTTPS proxying over
// a real socket with X-Forwarded-Proto https upstream, and HTTP/2 when listen.tls.http2 is set.
// Certificates are made with openssl into a temp folder (CI installs it with curl).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfigFile, loadConfigText } from "../../src/config/load.ts";
import { summarizePlan } from "../../src/config/summary.ts";
import { startGateway, type Gateway } from "../../src/server/gateway-server.ts";
import { listenerProto, tlsOptions } from "../../src/server/tls/tls-options.ts";
import { startBackend, type Backend } from "../support/backend.ts";
import { at } from "../config/helpers.ts";

let dir = "";

/** A self-signed certificate for localhost / 127.0.0.1 and its key, as PEM files in `into`. */
function makeCertificate(into: string, cn = "localhost"): void {
  const openssl = Bun.which("openssl");
  if (openssl === null) throw new Error("openssl is not installed: the TLS tests need it to make a certificate (apt-get install openssl)");
  const r = Bun.spawnSync(
    [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(into, "key.pem"), "-out", join(into, "cert.pem"), "-days", "1", "-subj", `/CN=${cn}`, "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
    { stdout: "pipe", stderr: "pipe" },
  );
  if (r.exitCode !== 0) throw new Error(`openssl failed: ${r.stderr.toString()}`);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "keel-tls-"));
  makeCertificate(dir);
  mkdirSync(join(dir, "other"));
  makeCertificate(join(dir, "other"), "other");
  writeFileSync(join(dir, "garbage.pem"), "not a certificate\n");
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const UPSTREAMS = `upstreams:
  u: { endpoints: ["http://127.0.0.1:9"] }
routes:
  - { name: all, upstream: u }
`;

/** Loads `text` as if it were the file <dir>/keel.yaml (relative paths resolve against dir). */
function load(text: string) {
  return loadConfigText(text, join(dir, "keel.yaml"), {});
}

describe("config errors for listen.tls, at the key's value", () => {
  const cases: [name: string, tls: string, needle: string, words: string[]][] = [
    ["missing certificate", "{ cert: ./nope.pem, key: ./key.pem }", "./nope.pem", ["listen.tls.cert", "nope.pem", "file not found"]],
    ["missing key", "{ cert: ./cert.pem, key: ./nokey.pem }", "./nokey.pem", ["listen.tls.key", "nokey.pem", "file not found"]],
    ["certificate that is not PEM", "{ cert: ./garbage.pem, key: ./key.pem }", "./garbage.pem", ["listen.tls.cert", "is not a PEM certificate"]],
    ["key that is not PEM", "{ cert: ./cert.pem, key: ./garbage.pem }", "./garbage.pem", ["listen.tls.key", "is not an unencrypted PEM private key"]],
    ["certificate given as the key", "{ cert: ./cert.pem, key: ./cert.pem }", "./cert.pem", ["listen.tls.key", "private key"]],
    ["key of another certificate", "{ cert: ./cert.pem, key: ./other/key.pem }", "./other/key.pem", ["listen.tls.key", "is not the private key of the certificate", "CN=localhost"]],
    ["a folder as the certificate", "{ cert: ./other, key: ./key.pem }", "./other", ["listen.tls.cert", "is a directory"]],
  ];
  for (const [name, tls, needle, words] of cases) {
    test(name, () => {
      const text = `listen: { port: 0, tls: ${tls} }\n${UPSTREAMS}`;
      const r = load(text);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.errors).toHaveLength(1);
      const e = r.errors[0]!;
      // The key's value: for "the certificate given as the key", its second occurrence.
      const nth = name === "certificate given as the key" ? 1 : 0;
      expect(`${e.line}:${e.col}`).toBe(at(text, needle, nth));
      expect(e.file).toBe(join(dir, "keel.yaml"));
      for (const w of words) expect(e.message).toContain(w);
    });
  }

  test("cert and key are both required, and nothing else is allowed", () => {
    const r = load(`listen: { port: 0, tls: { cert: ./cert.pem, pem: x } }\n${UPSTREAMS}`);
    expect(r.ok ? [] : r.errors.map((e) => e.message)).toEqual(['listen.tls: missing required key "key"', 'unknown key "pem" in listen.tls; expected one of: cert, key, http2']);
  });
});

describe("a good listen.tls", () => {
  test("compiles to PEM text, absolute paths, subject and expiry; paths are relative to the config file", () => {
    const file = join(dir, "other", "keel.yaml");
    writeFileSync(file, `listen: { port: 0, tls: { cert: ../cert.pem, key: ../key.pem, http2: true } }\n${UPSTREAMS}`);
    const r = loadConfigFile(file, {});
    if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("\n"));
    const tls = r.plan.listen.tls!;
    expect(tls.certFile).toBe(join(dir, "cert.pem"));
    expect(tls.keyFile).toBe(join(dir, "key.pem"));
    expect(tls.cert).toStartWith("-----BEGIN CERTIFICATE-----");
    expect(tls.key).toContain("PRIVATE KEY-----");
    expect(tls.subject).toBe("CN=localhost");
    expect(Date.parse(tls.validTo)).toBeGreaterThan(Date.now());
    expect(tls.http2).toBe(true);
    expect(tlsOptions(r.plan.listen)).toEqual({ tls: { cert: tls.cert, key: tls.key }, http2: true });
    expect(listenerProto(r.plan.listen)).toBe("https");
    expect(summarizePlan(r.plan)).toContain(`listen   0.0.0.0:0 https (CN=localhost, expires ${tls.validTo.slice(0, 10)}, http2)`);
  });

  test("without tls: no Bun.serve TLS options, plain http", () => {
    const r = load(`listen: { port: 0 }\n${UPSTREAMS}`);
    if (!r.ok) throw new Error("expected a plan");
    expect(r.plan.listen.tls).toBeUndefined();
    expect(tlsOptions(r.plan.listen)).toEqual({});
    expect(listenerProto(r.plan.listen)).toBe("http");
  });
});

describe("HTTPS listener", () => {
  let backend: Backend;
  let gw: Gateway;
  let gw2: Gateway;
  let ca = "";

  beforeAll(async () => {
    backend = startBackend();
    ca = await Bun.file(join(dir, "cert.pem")).text();
    const text = (http2: boolean) => `listen: { port: 0, host: 127.0.0.1, tls: { cert: ./cert.pem, key: ./key.pem, http2: ${http2} } }
admin: false
server: { drainTimeout: 200ms }
upstreams:
  b: { endpoints: ["http://${backend.authority}"] }
routes:
  - { name: all, upstream: b }
`;
    const plan = (http2: boolean) => {
      const r = load(text(http2));
      if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("\n"));
      return r.plan;
    };
    gw = startGateway(plan(false));
    gw2 = startGateway(plan(true));
  });

  afterAll(async () => {
    await gw?.drain();
    await gw2?.drain();
    backend?.stop();
  });

  test("proxies a request over https; the backend sees X-Forwarded-Proto https", async () => {
    expect(gw.url).toBe(`https://127.0.0.1:${gw.port}`);
    // Verified against the self-signed certificate as its own CA: a real handshake, no shortcuts.
    const res = await fetch(`https://localhost:${gw.port}/hello?x=1`, { tls: { ca } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { target: string }).target).toBe("/hello?x=1");
    const seen = backend.requests.at(-1)!;
    expect(seen.headers.get("x-forwarded-proto")).toBe("https");
    expect(seen.headers.get("forwarded")).toContain("proto=https");
  });

  test("a client that does not trust the certificate is refused by its own TLS check", async () => {
    const err = await fetch(`https://localhost:${gw.port}/`).then(
      () => null,
      (e: Error) => e,
    );
    expect(err).not.toBeNull();
  });

  test("plain http to the https port gets no HTTP answer", async () => {
    const res = await fetch(`http://127.0.0.1:${gw.port}/`).then(
      (r) => r.status,
      () => "failed",
    );
    expect(res === "failed" || res === 400).toBe(true);
  });

  const curl = Bun.which("curl");
  test.skipIf(curl === null)("HTTP/2 with listen.tls.http2 (ALPN h2), HTTP/1.1 without", async () => {
    const run = async (port: number) => {
      const p = Bun.spawn([curl!, "-sS", "--http2", "--cacert", join(dir, "cert.pem"), "-o", "/dev/null", "-w", "%{http_version} %{http_code}", `https://localhost:${port}/h2`], { stdout: "pipe", stderr: "pipe" });
      const out = await new Response(p.stdout).text();
      await p.exited;
      return out.trim();
    };
    expect(await run(gw2.port)).toBe("2 200");
    expect(await run(gw.port)).toBe("1.1 200");
    expect(backend.requests.filter((r) => r.target === "/h2")).toHaveLength(2);
  });
});

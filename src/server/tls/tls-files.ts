// A listener's certificate and private key, read and checked when the config loads: a missing
// file, a file that is not PEM, or a key that does not belong to the certificate is a config error
// at file:line:col, rather than a listener that fails to start or a handshake every client fails.
// The PEM text goes into the plan, so a config reload reads the files afresh (new certificates).
import { X509Certificate, createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";

export interface TlsFiles {
  /** Absolute paths the PEM text was read from. */
  readonly certFile: string;
  readonly keyFile: string;
  /** PEM text: the certificate (chain) and the private key, as Bun.serve takes them. */
  readonly cert: string;
  readonly key: string;
  /** The (first) certificate's subject, e.g. "CN=api.example.com", and its expiry (ISO 8601). */
  readonly subject: string;
  readonly validTo: string;
}

export type TlsFilesResult =
  | { readonly ok: true; readonly files: TlsFiles }
  | { readonly ok: false; readonly field: "cert" | "key"; readonly message: string };

/** `certPath` / `keyPath` as written in the config, relative to the config file's folder. */
export function readTlsFiles(certPath: string, keyPath: string, configFile: string): TlsFilesResult {
  const base = dirname(resolve(configFile));
  const certFile = resolve(base, certPath);
  const keyFile = resolve(base, keyPath);
  const cert = readText(certFile);
  if (!cert.ok) return { ok: false, field: "cert", message: `cannot read "${certPath}" (${certFile}): ${cert.why}` };
  const key = readText(keyFile);
  if (!key.ok) return { ok: false, field: "key", message: `cannot read "${keyPath}" (${keyFile}): ${key.why}` };

  let x509: X509Certificate;
  try {
    if (!cert.text.includes("-----BEGIN CERTIFICATE-----")) throw new Error("no -----BEGIN CERTIFICATE----- line");
    x509 = new X509Certificate(cert.text);
  } catch (err) {
    return { ok: false, field: "cert", message: `"${certPath}" is not a PEM certificate (${reason(err)})` };
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.text)) throw new Error("no -----BEGIN PRIVATE KEY----- line");
    privateKey = createPrivateKey(key.text);
  } catch (err) {
    return { ok: false, field: "key", message: `"${keyPath}" is not an unencrypted PEM private key (${reason(err)})` };
  }
  if (!x509.checkPrivateKey(privateKey)) {
    return { ok: false, field: "key", message: `"${keyPath}" is not the private key of the certificate in "${certPath}" (${x509.subject.replace(/\n/g, ", ")})` };
  }
  return {
    ok: true,
    files: { certFile, keyFile, cert: cert.text, key: key.text, subject: x509.subject.replace(/\n/g, ", "), validTo: x509.validToDate.toISOString() },
  };
}

function readText(path: string): { ok: true; text: string } | { ok: false; why: string } {
  try {
    return { ok: true, text: readFileSync(path, "utf8") };
  } catch (err) {
    const code = (err as { code?: string }).code;
    return { ok: false, why: code === "ENOENT" ? "file not found" : code === "EISDIR" ? "is a directory, not a file" : code === "EACCES" ? "permission denied" : (code ?? String(err)) };
  }
}

function reason(err: unknown): string {
  const m = (err as Error)?.message ?? String(err);
  // OpenSSL's "error:0900006e:PEM routines:OPENSSL_internal:NO_START_LINE" → "NO_START_LINE".
  return m.includes(":") && m.startsWith("error:") ? m.slice(m.lastIndexOf(":") + 1) : m;
}

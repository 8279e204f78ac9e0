// A listener plan → the part of Bun.serve's options that makes it HTTPS (and HTTP/2), spread into
// the options wherever the listener is (re)started: the PEM text is in the plan, so a listener
// restarted on a reloaded plan serves the certificate files as they were at that reload.
import type { ListenPlan } from "../../config/plan.ts";

export interface ListenerTlsOptions {
  readonly tls?: { readonly cert: string; readonly key: string };
  /** Bun.serve's experimental HTTP/2: ALPN h2 for clients that offer it, HTTP/1.1 for the rest. */
  readonly http2?: boolean;
}

const PLAIN: ListenerTlsOptions = Object.freeze({});

/** `Bun.serve({ ...tlsOptions(plan.listen), hostname, port, fetch })`; {} for plain HTTP. */
export function tlsOptions(listen: ListenPlan): ListenerTlsOptions {
  const tls = listen.tls;
  if (tls === undefined) return PLAIN;
  return tls.http2 ? { tls: { cert: tls.cert, key: tls.key }, http2: true } : { tls: { cert: tls.cert, key: tls.key } };
}

/** The scheme clients use on this listener (X-Forwarded-Proto, the gateway's url). */
export function listenerProto(listen: ListenPlan): "http" | "https" {
  return listen.tls === undefined ? "http" : "https";
}

// The upstream clients every end-to-end case runs against: Keel's own HTTP/1.1 client (the default,
// `client` left out) and Bun's fetch.

import type { UpstreamClient } from "../../src/upstream/client.ts";
import { FetchClient } from "../../src/upstream/fetch-client.ts";

export interface ClientCase {
  readonly name: string;
  /** undefined = let startGateway pick its default (Http1Client). */
  make(): UpstreamClient | undefined;
}

export const CLIENTS: readonly ClientCase[] = [
  { name: "http1 (default)", make: () => undefined },
  { name: "fetch", make: () => new FetchClient() },
];

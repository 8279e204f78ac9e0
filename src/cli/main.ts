// `keel run FILE` and `keel check FILE`. Exit codes: 0 ok, 1 invalid config (or a listener that
// cannot start), 2 usage error.

import { formatConfigError, loadConfigFile } from "../config/load.ts";
import { summarizePlan } from "../config/summary.ts";
import { Router } from "../router/router.ts";
import { startFailureMessage, startGateway, type Gateway } from "../server/gateway-server.ts";
import { FetchClient } from "../upstream/fetch-client.ts";

const USAGE = `usage: keel run FILE     start the gateway on a config file
       keel check FILE   validate a config file and print a summary of its routes
env:   KEEL_UPSTREAM_CLIENT=fetch  use Bun's fetch instead of Keel's HTTP/1.1 client`;

export async function main(argv: readonly string[]): Promise<number> {
  const [command, file, ...rest] = argv;
  if (command === "--help" || command === "-h" || command === "help") {
    console.log(USAGE);
    return 0;
  }
  if ((command !== "run" && command !== "check") || file === undefined || rest.length > 0) {
    console.error(USAGE);
    return 2;
  }
  const loaded = loadConfigFile(file);
  if (!loaded.ok) {
    for (const e of loaded.errors) console.error(formatConfigError(e));
    console.error(`${file}: ${loaded.errors.length} error${loaded.errors.length === 1 ? "" : "s"}; nothing started`);
    return 1;
  }
  if (command === "check") {
    console.log(summarizePlan(loaded.plan, new Router(loaded.plan.routes).order));
    console.log(`${file}: ok`);
    return 0;
  }
  const client = process.env.KEEL_UPSTREAM_CLIENT === "fetch" ? new FetchClient() : undefined;
  let gw: Gateway;
  try {
    gw = startGateway(loaded.plan, { client });
  } catch (err) {
    console.error(startFailureMessage(err));
    return 1;
  }
  await gw.ready;
  console.log(`keel: proxy listening on ${gw.url}`);
  if (gw.admin) console.log(`keel: admin on ${gw.admin.url} (/healthz /readyz /metrics)`);
  return await untilSignal(async (signal) => {
    console.log(`keel: ${signal} received, draining (up to ${loaded.plan.server.drainTimeoutMs} ms)`);
    const { inFlightAtDeadline } = await gw.drain();
    if (inFlightAtDeadline > 0) console.log(`keel: drain timeout, ${inFlightAtDeadline} request(s) cut off`);
    console.log("keel: stopped");
  });
}

/** Resolves with 0 after the first SIGTERM/SIGINT has been handled; a second signal exits at once. */
function untilSignal(onStop: (signal: string) => Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const handle = (signal: string) => {
      if (stopping) process.exit(1);
      stopping = true;
      onStop(signal).then(() => resolve(0), (err) => {
        console.error("keel: error while draining:", err);
        resolve(1);
      });
    };
    process.on("SIGTERM", () => handle("SIGTERM"));
    process.on("SIGINT", () => handle("SIGINT"));
  });
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));

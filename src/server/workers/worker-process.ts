// One worker process (`keel run --internal-worker I/N FILE`, started by the supervisor): it waits
// for the config text, serves it on the shared port, reloads when told, and drains on SIGTERM or
// when the supervisor goes away (its IPC channel closes), so no worker outlives its supervisor.

import { formatConfigError, loadConfigText } from "../../config/load.ts";
import { ReloadController } from "../reload/reload-controller.ts";
import { startFailureMessage, startGateway, type Gateway } from "../gateway-server.ts";
import type { UpstreamClient } from "../../upstream/client.ts";
import { isToWorker, type FromWorker, type ToWorker } from "./protocol.ts";
import { workerPlan } from "./worker-plan.ts";

export interface WorkerOptions {
  readonly index: number;
  readonly count: number;
  /** The config file's path (names error positions; the text comes from the supervisor). */
  readonly file: string;
  readonly tailWindowMs?: number;
  /** Debug: tag every response with x-keel-worker. */
  readonly debugHeader: boolean;
  readonly client?: UpstreamClient;
}

export async function runWorker(opts: WorkerOptions): Promise<number> {
  const send = process.send?.bind(process);
  if (send === undefined) {
    console.error("keel: --internal-worker is started by `keel run --workers N`, not by hand");
    return 2;
  }
  const tell = (m: FromWorker) => void send(m);
  const prefix = `worker ${opts.index}: `;
  let onMessage: (m: ToWorker) => void = () => {};
  const started = new Promise<Extract<ToWorker, { t: "start" }>>((resolve) => {
    onMessage = (m) => {
      if (m.t === "start") resolve(m);
    };
  });
  process.on("message", (m: unknown) => {
    if (isToWorker(m)) onMessage(m);
  });
  // The supervisor coordinates reloads; a HUP sent to the whole process group must not kill a worker.
  process.on("SIGHUP", () => {});
  // SIGUSR1 (from the supervisor, after a log rotation) reopens the access log.
  let logs: Gateway | null = null;
  process.on("SIGUSR1", () => logs?.reopenLogs());
  tell({ t: "hello" });

  const start = await started;
  const loaded = loadConfigText(start.text, opts.file);
  if (!loaded.ok) {
    for (const e of loaded.errors) console.error(formatConfigError(e));
    tell({ t: "start-failed", message: `${loaded.errors.length} config error(s)` });
    return 1;
  }
  const adjust = (p: typeof loaded.plan) => workerPlan(p, start.port);
  let gw: Gateway;
  try {
    gw = startGateway(adjust(loaded.plan), {
      client: opts.client,
      reusePort: true,
      workerTag: opts.debugHeader ? String(opts.index) : undefined,
      localRateScale: 1 / opts.count,
    });
  } catch (err) {
    // The supervisor prints it, once, as "keel: cannot start: …".
    tell({ t: "start-failed", message: startFailureMessage(err).replace(/^keel: cannot start: /, "") });
    return 1;
  }
  logs = gw;
  const ctl = new ReloadController(gw, { file: opts.file, adjust, prefix, tailWindowMs: opts.tailWindowMs, logSuccess: false });
  onMessage = (m) => {
    if (m.t === "reload") tell({ t: "reloaded", id: m.id, outcome: ctl.reload(m.trigger, m.text) });
  };
  await gw.ready;
  tell({ t: "listening", port: gw.port, adminUrl: gw.admin!.url });

  return await new Promise<number>((resolve) => {
    let stopping = false;
    // The first of SIGTERM, SIGINT (a terminal's Ctrl-C reaches the whole group) or a lost
    // supervisor drains; the supervisor escalates to SIGKILL itself if a drain overruns.
    const stop = () => {
      if (stopping) return;
      stopping = true;
      ctl.stop();
      gw.drain().then(({ inFlightAtDeadline }) => {
        if (inFlightAtDeadline > 0) console.log(`keel: ${prefix}drain timeout, ${inFlightAtDeadline} request(s) cut off`);
        resolve(0);
      }, (err) => {
        console.error(`keel: ${prefix}error while draining:`, err);
        resolve(1);
      });
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    process.on("disconnect", stop);
  });
}

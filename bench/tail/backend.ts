// Backend of the tail-control scenarios (bench/tail/README.md): answers every request with the main
// bench's ~100-byte JSON, delaying a seeded-random share of them, or answers 503 to everything.
//
//   BACKEND_PORT   port on 127.0.0.1 (required)
//   DELAY_MS       delay of a slow response (default 50)
//   DELAY_P        probability a response is slow, 0..1 (default 0.01)
//   SEED           PRNG seed (default 1): same seed, same slow requests (by arrival order)
//   FAIL_ALL=1     answer 503 to everything instead (retry-storm scenario)
//
// GET /__count answers {"served":N,"delayed":N,"failed":N}; requests to /__* paths are not counted.
import { BODY } from "../lib/peers.ts";
import { mulberry32 } from "../lib/mulberry32.ts"; // picks 1% of requests reproducibly

const port = Number(process.env.BACKEND_PORT);
if (!(port > 0)) throw new Error("backend: BACKEND_PORT is required");
const delayMs = Number(process.env.DELAY_MS ?? 50);
const delayP = Number(process.env.DELAY_P ?? 0.01);
const failAll = process.env.FAIL_ALL === "1";

const random = mulberry32(Number(process.env.SEED ?? 1));

const counts = { served: 0, delayed: 0, failed: 0 };
const JSON_HEADERS = { "content-type": "application/json" };
const FAIL_BODY = '{"error":"unavailable","by":"bench/tail/backend.ts"}';

const ok = () => new Response(BODY, { headers: JSON_HEADERS });

Bun.serve({
  hostname: "127.0.0.1",
  port,
  idleTimeout: 0, // Keel keeps pooled connections idle for up to 30 s; never close them first
  fetch(req) {
    const url = req.url;
    const path = url.slice(url.indexOf("/", url.indexOf("//") + 2));
    if (path.startsWith("/__")) {
      if (path === "/__count") return Response.json(counts);
      return new Response("not found\n", { status: 404 });
    }
    counts.served++;
    if (failAll) {
      counts.failed++;
      return new Response(FAIL_BODY, { status: 503, headers: JSON_HEADERS });
    }
    if (random() < delayP) {
      counts.delayed++;
      return Bun.sleep(delayMs).then(ok);
    }
    return ok();
  },
});

console.log(`backend on 127.0.0.1:${port}: ${failAll ? "503 for everything" : `${delayP * 100}% delayed ${delayMs} ms, seed ${process.env.SEED ?? 1}`}`);

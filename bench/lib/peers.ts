// The backend and every proxy under test: generated config + command line.
// Configs are written into the run's temp dir; nothing is read from /etc.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { JSON_BODIES, userBody } from "./json-bodies.ts";

export const BENCH_DIR = join(import.meta.dir, "..");
export const ROOT = join(BENCH_DIR, "..");
export const BUN = join(ROOT, "node_modules/.bin/bun");
export const NODE = "/usr/bin/node";

/** ~100 bytes of JSON, the same for every request. */
export const BODY = '{"id":42,"name":"keel-bench","ok":true,"tags":["a","b","c"],"ts":"2024-01-01T00:00:00Z","pad":"xx"}';

export interface Launch {
  cmd: string[]; // without the taskset prefix
  env?: Record<string, string>;
}

export interface Peer {
  id: string; // what --only matches
  label: string; // the table row
  /** Writes its config into dir and says how to start it on `port`. */
  launch(dir: string, port: number, backendPort: number, nextPort: () => number): Launch;
}

function nginxConf(dir: string, body: string): string {
  // Temp paths inside dir so nginx never touches /var/lib/nginx or /run.
  return `daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
${body}
}
`;
}

function nginxLaunch(dir: string, conf: string): Launch {
  const file = join(dir, "nginx.conf");
  writeFileSync(file, conf);
  return { cmd: ["nginx", "-p", dir, "-e", join(dir, "error.log"), "-c", file] };
}

/** The backend; statusPort serves stub_status, whose "accepts" shows whether proxies reuse connections. */
export function backendLaunch(dir: string, port: number, statusPort: number): Launch {
  // JSON files for the normalisation scenarios, served as they are under /json/.
  mkdirSync(join(dir, "json"), { recursive: true });
  for (const [name, size] of Object.entries(JSON_BODIES)) writeFileSync(join(dir, "json", name), userBody(size));
  return nginxLaunch(
    dir,
    nginxConf(
      dir,
      `  server {
    listen 127.0.0.1:${port};
    location / { default_type application/json; return 200 '${BODY}'; }
    location /json/ { root ${dir}; default_type application/json; }
  }
  server {
    listen 127.0.0.1:${statusPort};
    location / { stub_status; }
  }`,
    ),
  );
}

const nginx: Peer = {
  id: "nginx",
  label: "nginx",
  launch: (dir, port, bp) =>
    nginxLaunch(
      dir,
      nginxConf(
        dir,
        `  upstream backend {
    server 127.0.0.1:${bp};
    keepalive 128;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }`,
      ),
    ),
};

const haproxy: Peer = {
  id: "haproxy",
  label: "haproxy",
  launch(dir, port, bp) {
    const file = join(dir, "haproxy.cfg");
    // No "log" lines => no logging. http-reuse always keeps server connections shared.
    writeFileSync(
      file,
      `global
  nbthread 1
  maxconn 4000
  pidfile ${dir}/haproxy.pid
defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 300s
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  server s1 127.0.0.1:${bp}
`,
    );
    return { cmd: ["haproxy", "-db", "-f", file] };
  },
};

const caddy: Peer = {
  id: "caddy",
  label: "caddy",
  launch(dir, port, bp) {
    const file = join(dir, "Caddyfile");
    // Caddy keeps only 32 idle upstream connections per host by default, fewer than wrk's 50:
    // the rest would be closed after each request. 128 matches nginx's keepalive.
    writeFileSync(
      file,
      `{
  admin off
  auto_https off
}
:${port} {
  bind 127.0.0.1
  reverse_proxy 127.0.0.1:${bp} {
    transport http {
      keepalive 300s
      keepalive_idle_conns 128
      keepalive_idle_conns_per_host 128
    }
  }
}
`,
    );
    // HOME/XDG in dir: caddy wants a data dir; keep it out of the real home.
    return {
      cmd: ["caddy", "run", "--adapter", "caddyfile", "--config", file],
      env: { GOMAXPROCS: "1", HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
    };
  },
};

function script(id: string, label: string, runtime: string, file: string): Peer {
  return {
    id,
    label,
    launch: (_dir, port, bp) => ({
      cmd: [runtime, join(BENCH_DIR, "peers", file)],
      env: { PROXY_PORT: String(port), BACKEND_PORT: String(bp) },
    }),
  };
}

/** Keel itself, from a config template using ${KEEL_PORT} ${KEEL_ADMIN_PORT} ${BACKEND_PORT}. */
export function keelPeer(name: string | null, config: string): Peer {
  return {
    id: name ? `keel-${name}` : "keel",
    label: name ? `keel ${name}` : "keel",
    launch: (_dir, port, bp, nextPort) => ({
      cmd: [BUN, join(ROOT, "src/cli/main.ts"), "run", config],
      env: { KEEL_PORT: String(port), KEEL_ADMIN_PORT: String(nextPort()), BACKEND_PORT: String(bp) },
    }),
  };
}

export const PEERS: Peer[] = [
  nginx,
  haproxy,
  caddy,
  script("fastify", "@fastify/http-proxy", NODE, "fastify-proxy.mjs"),
  script("node-http-proxy", "node-http-proxy", NODE, "node-http-proxy.mjs"),
  script("bun-naive", "bun naive fetch", BUN, "bun-naive.ts"),
  keelPeer(null, join(BENCH_DIR, "keel-bench.yaml")),
];

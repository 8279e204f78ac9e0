// node-http-proxy (http-proxy 1.18) with a keep-alive agent to the backend. Ports from env.
import http from "node:http";
import httpProxy from "http-proxy";

const agent = new http.Agent({ keepAlive: true, maxSockets: 128, maxFreeSockets: 128 });
const proxy = httpProxy.createProxyServer({ target: `http://127.0.0.1:${process.env.BACKEND_PORT}`, agent });

// Without a handler http-proxy throws on upstream errors; answer 502 so wrk counts it.
proxy.on("error", (_err, _req, res) => {
  if (res.writeHead && !res.headersSent) res.writeHead(502);
  res.end();
});

http.createServer((req, res) => proxy.web(req, res)).listen(Number(process.env.PROXY_PORT), "127.0.0.1");

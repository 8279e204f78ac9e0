// The naive baseline: Bun.serve + fetch, no hygiene, no pooling tweaks. Ports from env.
const backend = `http://127.0.0.1:${process.env.BACKEND_PORT}`;

Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PROXY_PORT),
  fetch(req) {
    // Path + query without new URL(): skip "http://host".
    const path = req.url.slice(req.url.indexOf("/", 8));
    return fetch(backend + path, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      decompress: false,
      redirect: "manual",
    });
  },
});

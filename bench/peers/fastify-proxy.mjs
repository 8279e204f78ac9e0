// @fastify/http-proxy with its defaults (undici pool, keep-alive). Ports from env.
import Fastify from "fastify";
import proxy from "@fastify/http-proxy";

const app = Fastify({ logger: false });
await app.register(proxy, { upstream: `http://127.0.0.1:${process.env.BACKEND_PORT}` });
await app.listen({ host: "127.0.0.1", port: Number(process.env.PROXY_PORT) });

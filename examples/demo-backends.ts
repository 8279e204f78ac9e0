// Demo backends for the quick start (not part of the gateway): two "users" servers and one
// "orders" server answering small JSON, each saying which instance served the request.

export interface DemoBackends {
  readonly ports: { users1: number; users2: number; orders: number };
  stop(): void;
}

function usersServer(instance: string) {
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      const id = /^\/api\/users\/([^/]+)$/.exec(path)?.[1];
      if (id !== undefined) return Response.json({ id, name: `user ${id}`, servedBy: instance, requestId: req.headers.get("x-request-id") });
      if (path === "/api/users") return Response.json({ users: [{ id: "1" }, { id: "2" }], servedBy: instance });
      return Response.json({ error: "not found", path }, { status: 404 });
    },
  });
}

export function startDemoBackends(): DemoBackends {
  const u1 = usersServer("users-1");
  const u2 = usersServer("users-2");
  const orders = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    // The gateway strips /api/orders before forwarding, so this server sees /, /42, ...
    fetch: (req) => Response.json({ orders: [], path: new URL(req.url).pathname, servedBy: "orders-1" }),
  });
  return {
    ports: { users1: u1.port!, users2: u2.port!, orders: orders.port! },
    stop() {
      u1.stop(true);
      u2.stop(true);
      orders.stop(true);
    },
  };
}

// `npm start`: demo backends on free ports, then Keel on examples/keel.yaml pointing at them.

import { formatConfigError, loadConfigFile } from "../src/config/load.ts";
import { startFailureMessage, startGateway } from "../src/server/gateway-server.ts";
import { startDemoBackends } from "./demo-backends.ts";

const backends = startDemoBackends();
const env = {
  ...process.env,
  DEMO_USERS_PORT_1: String(backends.ports.users1),
  DEMO_USERS_PORT_2: String(backends.ports.users2),
  DEMO_ORDERS_PORT: String(backends.ports.orders),
};
const file = new URL("./keel.yaml", import.meta.url).pathname;
const loaded = loadConfigFile(file, env);
if (!loaded.ok) {
  for (const e of loaded.errors) console.error(formatConfigError(e));
  backends.stop();
  process.exit(1);
}
let gw: ReturnType<typeof startGateway>;
try {
  gw = startGateway(loaded.plan);
} catch (err) {
  console.error(startFailureMessage(err));
  console.error("Another program holds the port? Choose others: KEEL_PORT=8081 KEEL_ADMIN_PORT=9902 npm start");
  backends.stop();
  process.exit(1);
}
console.log(`Keel is running on ${file} with demo backends on ports ${Object.values(backends.ports).join(", ")}.

Try:
  curl -i ${gw.url}/api/users/42        # route user-by-id, balanced over two backends, keys snake_cased
  curl -i ${gw.url}/api/profile/42      # route profile: users and orders called in parallel, merged
  curl -i ${gw.url}/api/users           # route users
  curl -i ${gw.url}/api/orders/7        # route orders (prefix stripped)
  curl -i ${gw.url}/nowhere             # no route: a 404 problem+json
${gw.admin ? `
Dashboard:  ${gw.admin.url}/dashboard   (live charts; open it in a browser)
Admin:      ${gw.admin.url}/metrics   ${gw.admin.url}/healthz   ${gw.admin.url}/readyz` : ""}

Ctrl-C drains and stops.`);

const stop = async () => {
  await gw.drain();
  backends.stop();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

// One endpoint (or none): nothing to choose, only whether it may take traffic.

import { InFlightBalancer } from "./in-flight.ts";

export class SingleBalancer extends InFlightBalancer {
  pick(): number {
    return this.n === 1 && this.available[0] === 1 ? 0 : -1;
  }
}

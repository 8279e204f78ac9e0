// Round robin: endpoints in turn, stepping over those that may not take traffic (and over `avoid`
// when another will do), so the others keep their order.

import { InFlightBalancer } from "./in-flight.ts";

export class RoundRobinBalancer extends InFlightBalancer {
  private next = 0;

  pick(_key?: string, avoid = -1): number {
    const n = this.n;
    const av = this.available;
    let i = this.next;
    for (let k = 0; k < n; k++) {
      if (av[i] === 1 && i !== avoid) {
        this.next = i + 1 === n ? 0 : i + 1;
        return i;
      }
      i = i + 1 === n ? 0 : i + 1;
    }
    return this.onlyAvoided(avoid);
  }
}

// The process's Redis lease stores, one per Redis URL, so every shared policy on the same Redis
// shares one connection (and its pipelining). The gateway builds one at startup, waits for
// ready() before listening (else a "closed" policy rejects until the first connect), and closes
// it at shutdown after the limiters.
import { RedisLeaseStore, type RedisLeaseStoreOptions } from "./redis-lease-store.ts";

export class LeaseStores {
  private readonly stores = new Map<string, RedisLeaseStore>();

  constructor(private readonly options: RedisLeaseStoreOptions = {}) {}

  /** The store for `url`, created and started on first use. */
  get(url: string): RedisLeaseStore {
    let s = this.stores.get(url);
    if (s === undefined) {
      s = new RedisLeaseStore(url, this.options);
      s.start();
      this.stores.set(url, s);
    }
    return s;
  }

  /** Every store, for metrics (counters and the `up` gauge). */
  all(): IterableIterator<RedisLeaseStore> {
    return this.stores.values();
  }

  /** True once every store is up; false if one is still down after timeoutMs (they keep trying). */
  async ready(timeoutMs: number): Promise<boolean> {
    const results = await Promise.all([...this.stores.values()].map((s) => s.ready(timeoutMs)));
    return results.every(Boolean);
  }

  close(): void {
    for (const s of this.stores.values()) s.close();
    this.stores.clear();
  }
}

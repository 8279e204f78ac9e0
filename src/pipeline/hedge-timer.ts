// When to send a hedge: many requests each want a callback at some time a few ms ahead. One
// setTimeout serves them all — armed for the earliest due entry — instead of a timer per request.
// Entries form an intrusive doubly-linked list sorted by due time; hedges of one route share one
// threshold, so a new entry almost always goes at the tail (insertion walks back from the tail).
// Cancelling (the first attempt answered in time: the common case) is an O(1) unlink.

export abstract class HedgeEntry {
  /** @internal list links and state, owned by the timer. */
  prev: HedgeEntry | null = null;
  next: HedgeEntry | null = null;
  queued = false;
  dueAt = 0;

  /** Called once, when dueAt has passed and the entry was not cancelled. */
  abstract fire(): void;
}

export class HedgeTimer {
  private head: HedgeEntry | null = null;
  private tail: HedgeEntry | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** When the armed timer fires (Infinity when none is armed). */
  private armedFor = Infinity;
  private count = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  get size(): number {
    return this.count;
  }

  schedule(e: HedgeEntry, dueAt: number): void {
    if (e.queued) this.cancel(e);
    e.dueAt = dueAt;
    e.queued = true;
    this.count++;
    // Walk back from the tail to the last entry due no later than this one.
    let after = this.tail;
    while (after !== null && after.dueAt > dueAt) after = after.prev;
    e.prev = after;
    e.next = after === null ? this.head : after.next;
    if (e.next !== null) e.next.prev = e;
    else this.tail = e;
    if (after !== null) after.next = e;
    else this.head = e;
    if (dueAt < this.armedFor) this.arm(dueAt);
  }

  cancel(e: HedgeEntry): void {
    if (!e.queued) return;
    e.queued = false;
    this.count--;
    if (e.prev !== null) e.prev.next = e.next;
    else this.head = e.next;
    if (e.next !== null) e.next.prev = e.prev;
    else this.tail = e.prev;
    e.prev = e.next = null;
    // An armed timer for a cancelled head is left to fire and find nothing due: cheaper than re-arming.
  }

  /** @internal fires every due entry, then re-arms for the next one. Public for tests. */
  run(): void {
    this.timer = null;
    this.armedFor = Infinity;
    const now = this.now();
    while (this.head !== null && this.head.dueAt <= now) {
      const e = this.head;
      this.cancel(e);
      e.fire();
    }
    if (this.head !== null) this.arm(this.head.dueAt);
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.armedFor = Infinity;
  }

  private arm(dueAt: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.armedFor = dueAt;
    this.timer = setTimeout(runTimer, Math.max(0, dueAt - this.now()), this);
    (this.timer as { unref?: () => void }).unref?.();
  }
}

function runTimer(t: HedgeTimer): void {
  t.run();
}

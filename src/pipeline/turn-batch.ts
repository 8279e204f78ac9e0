// Work run in batches at the end of the event loop's turn while the gateway is busy, at once
// while it is not. A saturated gateway gets the answers of many upstream connections in one turn;
// rewriting each body the moment it arrives interleaves the rewriting code with the rest of the
// request path, and each evicts the other from the CPU's caches. Run together, the first body of a
// batch pays for bringing the code and the rules in and the others find them there: at saturation
// the example JSON rules then cost ~6–8% of pass-through's throughput instead of ~17%
// (bench/PROFILE.md).
//
// A batch waits for everything else the turn does (new requests read and forwarded too), which
// at moderate load added ~0.5 ms to the median answer for no gain in throughput. So batching
// starts only after BUSY_STREAK turns in a row that each ran BUSY_TURN pieces of work, and stops
// after one that ran fewer. One busy turn is not enough: at a paced load, the backlog after a
// stall of the host fills a turn or two, and batching those put the wait on exactly the requests
// already late (one run against no batching: paced p99 +43% with a streak of 1, +7% with 3;
// bench/PROFILE.md); saturation keeps every turn busy.

/** Pieces of work in one turn that make it a busy turn. */
export const BUSY_TURN = 8;
/** Busy turns in a row from which the next turns batch their work. */
export const BUSY_STREAK = 3;

type Deferred = () => void;

let batching = false;
let queue: Deferred[] = [];
/** Work run at once in this turn (while not batching). */
let ranNow = 0;
/** Busy turns in a row, up to the last one that ended. */
let busyStreak = 0;
let turnEndScheduled = false;

/** `work`'s result now, or (while the gateway is busy) a promise of it, settled at the turn's end. */
export function inTurnBatch<T>(work: () => T): T | Promise<T> {
  endThisTurn();
  if (!batching) {
    ranNow++;
    return work();
  }
  return new Promise<T>((resolve, reject) => {
    queue.push(() => {
      try {
        resolve(work());
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** Whether work is being batched now (after BUSY_STREAK busy turns in a row). */
export function isBatching(): boolean {
  return batching;
}

/** endTurn once at the end of the current (or, from inside endTurn, the next) turn. */
function endThisTurn(): void {
  if (turnEndScheduled) return;
  turnEndScheduled = true;
  setImmediate(endTurn);
}

function endTurn(): void {
  turnEndScheduled = false;
  const batch = queue;
  queue = [];
  busyStreak = ranNow + batch.length >= BUSY_TURN ? busyStreak + 1 : 0;
  batching = busyStreak >= BUSY_STREAK;
  ranNow = 0;
  // After a busy turn the next one is ended too, work or none, so a streak is turns in a row.
  if (busyStreak > 0) endThisTurn();
  // In arrival order; what they resolve continues (as microtasks) once the whole batch has run.
  for (let i = 0; i < batch.length; i++) batch[i]!();
}

// Work run in batches at the end of the event loop's turn while the gateway is busy, at once
// while it is not. A saturated gateway gets the answers of many upstream connections in one turn;
// rewriting each body the moment it arrives interleaves the rewriting code with the rest of the
// request path, and each evicts the other from the CPU's caches. Run together, the first body of a
// batch pays for bringing the code and the rules in and the others find them there: at saturation
// the example JSON rules then cost ~6–8% of pass-through's throughput instead of ~17%
// (bench/PROFILE.md).
//
// A batch waits for everything else the turn does (new requests read and forwarded too), which
// at moderate load added ~0.5 ms to the median answer for no gain in throughput, so batching
// starts only after a turn that ran BUSY_TURN pieces of work, and stops after one that ran fewer.

/** Pieces of work in one turn from which the next turns batch theirs. */
export const BUSY_TURN = 8;

type Deferred = () => void;

let batching = false;
let queue: Deferred[] = [];
/** Work run at once in this turn (while not batching). */
let ranNow = 0;
let turnEndScheduled = false;

/** `work`'s result now, or (while the gateway is busy) a promise of it, settled at the turn's end. */
export function inTurnBatch<T>(work: () => T): T | Promise<T> {
  if (!turnEndScheduled) {
    turnEndScheduled = true;
    setImmediate(endTurn);
  }
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

/** Whether work is being batched now (after a busy turn). */
export function isBatching(): boolean {
  return batching;
}

function endTurn(): void {
  turnEndScheduled = false;
  const batch = queue;
  queue = [];
  batching = ranNow + batch.length >= BUSY_TURN;
  ranNow = 0;
  // In arrival order; what they resolve continues (as microtasks) once the whole batch has run.
  for (let i = 0; i < batch.length; i++) batch[i]!();
}

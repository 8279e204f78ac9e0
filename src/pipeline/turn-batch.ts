// Work deferred to the end of the event loop's turn and run there in one batch. A busy gateway
// gets the answers of many upstream connections in one turn; rewriting each body the moment it
// arrives interleaves the rewriting code with the rest of the request path, and each evicts the
// other from the CPU's caches. Run together, the first body of a batch pays for bringing the code
// and the rules in and the others find them there: at saturation the example JSON rules cost
// ~3% more CPU per request than pass-through this way, against ~20% one body at a time
// (bench/PROFILE.md). An idle gateway has batches of one, and the wait is one setImmediate hop.

type Deferred = () => void;

let queue: Deferred[] = [];
let scheduled = false;

/** `work`'s result (or what it throws), once every piece of work deferred in this turn has run. */
export function atTurnEnd<T>(work: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    queue.push(() => {
      try {
        resolve(work());
      } catch (error) {
        reject(error);
      }
    });
    if (!scheduled) {
      scheduled = true;
      setImmediate(runBatch);
    }
  });
}

function runBatch(): void {
  scheduled = false;
  const batch = queue;
  queue = [];
  // In arrival order; what they resolve continues (as microtasks) once the whole batch has run.
  for (let i = 0; i < batch.length; i++) batch[i]!();
}

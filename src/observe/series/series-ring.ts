// A fixed-size ring of sample slots shared by many columns (Float64Array each, one value per
// slot): the dashboard keeps the last `capacity` samples of every series without growing.
// A missing value is NaN (a route not in force, an interval with no requests) and reads as null.

export type SeriesValues = (number | null)[];

export class SeriesRing {
  readonly capacity: number;
  /** Slot of the newest sample; -1 before the first. */
  private newest = -1;
  private filled = 0;

  constructor(capacity: number) {
    this.capacity = Math.max(1, Math.floor(capacity));
  }

  /** Samples held (≤ capacity). */
  get size(): number {
    return this.filled;
  }

  /** A column for this ring, every slot empty (NaN). 8 bytes per slot. */
  column(): Float64Array {
    return new Float64Array(this.capacity).fill(NaN);
  }

  /** Starts the next sample and returns its slot; the caller writes every column there. */
  advance(): number {
    this.newest = (this.newest + 1) % this.capacity;
    if (this.filled < this.capacity) this.filled++;
    return this.newest;
  }

  /** Slot of the k-th sample held, 0 = oldest. */
  slot(k: number): number {
    return (this.newest - this.filled + 1 + k + this.capacity) % this.capacity;
  }

  /**
   * A column oldest first, NaN as null, each value × scale, rounded to 4 significant digits (the
   * JSON stays short) unless `exact` (timestamps).
   */
  read(col: Float64Array, scale = 1, exact = false): SeriesValues {
    const out: SeriesValues = new Array(this.filled);
    for (let k = 0; k < this.filled; k++) {
      const v = col[this.slot(k)]! * scale;
      out[k] = Number.isFinite(v) ? (exact ? v : round4(v)) : null;
    }
    return out;
  }

  /** Like read(), of a ratio per slot (e.g. a count over the interval's seconds); null where either is missing or den is 0. */
  ratio(num: Float64Array, den: Float64Array): SeriesValues {
    const out: SeriesValues = new Array(this.filled);
    for (let k = 0; k < this.filled; k++) {
      const s = this.slot(k);
      const v = num[s]! / den[s]!;
      out[k] = Number.isFinite(v) ? round4(v) : null;
    }
    return out;
  }

  /** Sum of the column's values held (NaN skipped). */
  sum(col: Float64Array): number {
    let acc = 0;
    for (let k = 0; k < this.filled; k++) {
      const v = col[this.slot(k)]!;
      if (!Number.isNaN(v)) acc += v;
    }
    return acc;
  }
}

function round4(v: number): number {
  return v === 0 ? 0 : Number(v.toPrecision(4));
}

// Screen-space binning for the map: points (entities projected to the screen) fall into square
// cells; a cell holding several becomes one cluster that shows their count. Typed arrays reused
// frame after frame: binning ten thousand points allocates nothing.

export class ScreenGrid {
  constructor() {
    this.cols = 0;
    this.rows = 0;
    this.size = 1;
    this.ox = 0;
    this.oy = 0;
    this.count = new Int32Array(0); // per cell: points in it
    this.first = new Int32Array(0); // per cell: the index of its first point
    this.fresh = new Int32Array(0); // per cell: points not stale
    this.rank = new Int8Array(0); // per cell: the highest rank among its points
    this.sumX = new Float64Array(0);
    this.sumY = new Float64Array(0);
    this.used = new Int32Array(0); // the occupied cells, in the order first reached
    this.usedCount = 0;
  }

  /**
   * Starts a frame: a width × height screen in cells of `size` pixels, all empty. (ox, oy) is
   * where the world's origin is on the screen: cells stay put on the world while the view pans,
   * so clusters do not reshuffle at every drag.
   */
  reset(width, height, size, ox = 0, oy = 0) {
    this.size = size;
    this.ox = ((ox % size) + size) % size; // the cell lines at ox + k·size
    this.oy = ((oy % size) + size) % size;
    this.cols = Math.max(1, Math.ceil((width - this.ox) / size) + 1);
    this.rows = Math.max(1, Math.ceil((height - this.oy) / size) + 1);
    const n = this.cols * this.rows;
    if (this.count.length < n) {
      this.count = new Int32Array(n);
      this.first = new Int32Array(n);
      this.fresh = new Int32Array(n);
      this.rank = new Int8Array(n);
      this.sumX = new Float64Array(n);
      this.sumY = new Float64Array(n);
      this.used = new Int32Array(n);
    } else {
      // only the cells touched last frame hold anything
      for (let k = 0; k < this.usedCount; k++) this.count[this.used[k]] = 0;
    }
    this.usedCount = 0;
  }

  /** Cell index of a screen point; points just off the edge go to the nearest edge cell. */
  cellOf(x, y) {
    const c = Math.min(this.cols - 1, Math.max(0, Math.floor((x - this.ox) / this.size) + 1));
    const r = Math.min(this.rows - 1, Math.max(0, Math.floor((y - this.oy) / this.size) + 1));
    return r * this.cols + c;
  }

  /** Adds point i at (x, y); `rank` orders what a cluster is coloured by, `stale` fades it. */
  add(i, x, y, rank = 0, stale = false) {
    const c = this.cellOf(x, y);
    if (this.count[c] === 0) {
      this.used[this.usedCount++] = c;
      this.first[c] = i;
      this.fresh[c] = 0;
      this.rank[c] = rank;
      this.sumX[c] = 0;
      this.sumY[c] = 0;
    } else if (rank > this.rank[c]) {
      this.rank[c] = rank;
    }
    this.count[c]++;
    if (!stale) this.fresh[c]++;
    this.sumX[c] += x;
    this.sumY[c] += y;
    return c;
  }

  /** The points added since reset, summed over the occupied cells (every point is in one). */
  total() {
    let n = 0;
    for (let k = 0; k < this.usedCount; k++) n += this.count[this.used[k]];
    return n;
  }
}

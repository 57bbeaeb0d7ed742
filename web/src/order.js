// A sorted array kept sorted by binary-search insertion: the entity list places a new or renamed
// entity at its position instead of re-sorting and re-appending thousands of rows (which also
// forced a style recalculation of the whole list on the next frame).

/** The first index in the sorted `items` at which `item` may be inserted keeping the order. */
export function insertionIndex(items, item, compare) {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(items[mid], item) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Inserts `item` into the sorted `items`; returns its index. */
export function insertSorted(items, item, compare) {
  const i = insertionIndex(items, item, compare);
  items.splice(i, 0, item);
  return i;
}

/** Removes `item` (found by binary search, then by identity nearby) from the sorted `items`. */
export function removeSorted(items, item, compare) {
  let i = insertionIndex(items, item, compare) - 1;
  while (i >= 0 && compare(items[i], item) === 0) {
    if (items[i] === item) {
      items.splice(i, 1);
      return true;
    }
    i--;
  }
  const j = items.indexOf(item); // the order changed under it: slow path, still correct
  if (j < 0) return false;
  items.splice(j, 1);
  return true;
}

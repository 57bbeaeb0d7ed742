// The banner rule: the highest label among what is on screen.
//
// 1. Nothing shown: "UNCLASSIFIED".
// 2. Every shown label has the same banner: that banner.
// 3. Otherwise a combined banner, built the way the server builds one
//    (CLASSIFICATION//RESTRICTIVE//CAVEAT//PERMISSIVE//REL TO …):
//    - classification: the highest in the profile's `classifications` order;
//    - restrictive categories and caveats: the union (whoever reads the screen must hold all);
//    - permissive categories: the intersection of each category's values among the labels that
//      carry it (a label without the category does not restrict it);
//    - releasable to: the intersection of the releasable nations, in the profile's nation order
//      ("REL TO NONE" if no nation is common to all).

/** Banner colours (US banner conventions). */
export const LEVEL_COLORS = Object.freeze({
  UNCLASSIFIED: { background: '#007a33', color: '#ffffff' },
  CONFIDENTIAL: { background: '#0033a0', color: '#ffffff' },
  SECRET: { background: '#c8102e', color: '#ffffff' },
  'TOP SECRET': { background: '#ff8c00', color: '#000000' },
});

/** The colours for a classification; unknown ones are grey. */
export function levelColor(classification) {
  return LEVEL_COLORS[String(classification ?? '').toUpperCase()] ?? { background: '#5a5a5a', color: '#ffffff' };
}

/** Index of a classification in the profile's order (case-insensitive), -1 when unknown. */
export function levelOf(classification, classifications) {
  const c = String(classification ?? '').toUpperCase();
  return classifications.findIndex((x) => x.toUpperCase() === c);
}

function orderNations(set, nationOrder) {
  const known = nationOrder.filter((n) => set.has(n));
  const rest = [...set].filter((n) => !nationOrder.includes(n)).sort();
  return [...known, ...rest];
}

/**
 * The highest label among `labels`.
 * @param {Array<{banner?:string, classification:string, releasableTo?:string[], caveat?:string|null,
 *   categories?:Array<{name:string,type:string,values:string[]}>}>} labels
 * @param {string[]} classifications the profile's classifications, lowest first
 * @param {string[]} [nationOrder] the profile's nation codes, in order
 * @returns {{banner:string, classification:string, releasableTo:string[]|null}}
 */
export function highestLabel(labels, classifications, nationOrder = []) {
  const shown = (labels ?? []).filter((l) => l && l.classification);
  if (shown.length === 0) {
    return { banner: 'UNCLASSIFIED', classification: 'UNCLASSIFIED', releasableTo: null };
  }

  // Thousands of labels, few distinct ones: compare each distinct banner once.
  const levels = new Map(classifications.map((c, i) => [c.toUpperCase(), i]));
  const level = (c) => levels.get(String(c).toUpperCase()) ?? -1;
  let top = shown[0];
  let topLevel = level(top.classification);
  let release = null;
  const seen = new Set();
  for (const l of shown) {
    const key = l.banner ?? l;
    if (seen.has(key)) continue;
    seen.add(key);
    const lv = level(l.classification);
    if (lv > topLevel) {
      top = l;
      topLevel = lv;
    }
    const nations = new Set(l.releasableTo ?? []);
    release = release === null ? nations : new Set([...release].filter((n) => nations.has(n)));
  }
  const releasableTo = orderNations(release, nationOrder);

  const first = shown[0].banner;
  if (first && shown.every((l) => l.banner === first)) {
    return { banner: first, classification: top.classification, releasableTo };
  }

  const restrictive = new Map(); // name → ordered set of values
  const permissive = new Map(); // name → set of values (intersection)
  const caveats = [];
  const distinct = [...new Map(shown.map((l) => [l.banner ?? l, l])).values()];
  for (const l of distinct) {
    if (l.caveat && !caveats.includes(l.caveat)) caveats.push(l.caveat);
    for (const c of l.categories ?? []) {
      const type = String(c.type).toLowerCase();
      if (type === 'restrictive') {
        const values = restrictive.get(c.name) ?? [];
        for (const v of c.values ?? []) if (!values.includes(v)) values.push(v);
        restrictive.set(c.name, values);
      } else if (type === 'permissive') {
        const values = new Set(c.values ?? []);
        const prev = permissive.get(c.name);
        permissive.set(c.name, prev ? new Set([...prev].filter((v) => values.has(v))) : values);
      }
    }
  }

  let banner = String(top.classification).toUpperCase();
  for (const values of restrictive.values()) banner += '//' + values.join('/');
  for (const caveat of caveats) banner += '//' + caveat;
  for (const [name, values] of permissive) banner += '//' + name.toUpperCase() + ' ' + [...values].join(', ');
  banner += '//REL TO ' + (releasableTo.length ? releasableTo.join(', ') : 'NONE');
  return { banner, classification: top.classification, releasableTo };
}

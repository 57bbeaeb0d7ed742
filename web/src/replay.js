// Replay: the picture at a moment, from history.

/** Milliseconds since the epoch of an ISO time (or NaN). */
export function ms(iso) {
  return typeof iso === 'number' ? iso : Date.parse(iso);
}

/** Types that are not things on the map: control messages, chat, the warning lane. */
export function isPictureEvent(e) {
  if (!e || typeof e.type !== 'string' || !e.uid || !e.point) return false;
  return !(e.type.startsWith('t-') || e.type.startsWith('b-t-f') || e.type.startsWith('b-w-m-'));
}

/**
 * The state at time `t`: for each uid, its latest picture event whose `time` is at or before t
 * (ties broken by receivedAt, then by position in the input). Events after t are ignored.
 * @param {object[]} events in any order (the API gives them newest first)
 * @param {number|string} t
 * @returns {Map<string, object>} uid → event
 */
export function stateAt(events, t) {
  const at = ms(t);
  const state = new Map();
  for (const e of events) {
    if (!isPictureEvent(e)) continue;
    const time = ms(e.time);
    if (!(time <= at)) continue;
    const prev = state.get(e.uid);
    if (!prev) {
      state.set(e.uid, e);
      continue;
    }
    const pt = ms(prev.time);
    if (time > pt || (time === pt && ms(e.receivedAt ?? 0) >= ms(prev.receivedAt ?? 0))) state.set(e.uid, e);
  }
  return state;
}

/** Whether an event is stale at time t (its stale time has passed). */
export function isStale(e, t) {
  return ms(e.stale) <= ms(t);
}

/** The time span [min, max] of events (ms), or null when there are none. */
export function timeSpan(events) {
  let min = Infinity;
  let max = -Infinity;
  for (const e of events) {
    const t = ms(e.time);
    if (Number.isNaN(t)) continue;
    if (t < min) min = t;
    if (t > max) max = t;
  }
  return min === Infinity ? null : [min, max];
}

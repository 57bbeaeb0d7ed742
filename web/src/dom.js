// DOM helpers. Text is only ever set with textContent: nothing from the network becomes markup.

/**
 * Create an element. attrs: plain attributes (set with setAttribute), except `class`,
 * `dataset` (object), `on` (object of listeners) and `text` (textContent).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = String(v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);

/** HH:MM:SSZ of an ISO time (or '—'). */
export function zulu(iso, withDate = false) {
  const t = typeof iso === 'number' ? iso : Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const s = new Date(t).toISOString();
  return (withDate ? s.slice(0, 10) + ' ' : '') + s.slice(11, 19) + 'Z';
}

/** 35.1234°N 129.0456°E */
export function latLon(lat, lon) {
  if (typeof lat !== 'number' || typeof lon !== 'number') return '—';
  return `${Math.abs(lat).toFixed(4)}°${lat >= 0 ? 'N' : 'S'} ${Math.abs(lon).toFixed(4)}°${lon >= 0 ? 'E' : 'W'}`;
}

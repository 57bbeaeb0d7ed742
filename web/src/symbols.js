// Pre-rendered images (sprites) for the map: one milsymbol image per SIDC and size, callsign
// labels with their halo, cluster badges with their count. The map only blits them with
// drawImage: no text is laid out on the visible canvas, whose font changes would force a style
// recalculation of the page (Chromium resolves a connected canvas's font against its style).
// Only milsymbol's core and the 2525C letter-SIDC icons (the package's default entry loads every
// standard); its exports map hides index.mjs, so it is imported by path.
import { ms, std2525c } from '../node_modules/milsymbol/index.mjs';

ms.addIcons(std2525c);

export const SIZE = 18;
export const SMALL = 11; // when thousands are in view: a third of the pixels to blit

const symbolCaches = new Map(); // ratio × 1000 + size → Map(SIDC → image): no key string per lookup

/** The map kept under `key` in `map`, created empty the first time. */
function inner(map, key) {
  let m = map.get(key);
  if (!m) map.set(key, (m = new Map()));
  return m;
}

/** {canvas, ax, ay, w, h} in CSS pixels (the canvas is drawn at devicePixelRatio). */
export function symbolImage(sidc, ratio = 1, size = SIZE) {
  const cache = inner(symbolCaches, ratio * 1000 + size);
  let img = cache.get(sidc);
  if (img !== undefined) return img;
  try {
    const sym = new ms.Symbol(sidc, { size, outlineWidth: 2, outlineColor: 'rgba(0,0,0,0.55)' });
    const canvas = sym.asCanvas(ratio);
    const anchor = sym.getAnchor();
    img = { canvas, ax: anchor.x, ay: anchor.y, w: canvas.width / ratio, h: canvas.height / ratio };
  } catch {
    img = null;
  }
  cache.set(sidc, img);
  return img;
}

export function symbolCacheSize() {
  let n = 0;
  for (const c of symbolCaches.values()) n += c.size;
  return n;
}

function canvasOf(w, h, ratio) {
  const c = document.createElement('canvas'); // never attached: its font needs no page style
  c.width = Math.max(1, Math.ceil(w * ratio));
  c.height = Math.max(1, Math.ceil(h * ratio));
  const g = c.getContext('2d');
  g.scale(ratio, ratio);
  return { c, g };
}

const HALO = 'rgba(5,10,16,0.85)';
const TEXT_LIMIT = 3000; // cached texts before the cache starts over (labels come and go)
const textCache = new Map(); // font → colour → ratio → Map(text → sprite)
let textCount = 0;
let measurer = null;

/**
 * Text with a dark halo, as a sprite: {canvas, w, h, base} in CSS pixels; `base` is the
 * baseline's distance from the top. Cached per font, colour, ratio and text; with `create`
 * false, null when not cached yet (rendering hundreds of new labels at once takes a while).
 */
export function textSprite(text, font, color, ratio = 1, create = true) {
  const cache = inner(inner(inner(textCache, font), color), ratio);
  let s = cache.get(text);
  if (s || !create) return s ?? null;
  if (textCount >= TEXT_LIMIT) {
    textCache.clear();
    textCount = 0;
    return textSprite(text, font, color, ratio);
  }
  measurer ??= document.createElement('canvas').getContext('2d');
  measurer.font = font;
  const m = measurer.measureText(text);
  const px = Number(/(\d+(?:\.\d+)?)px/.exec(font)?.[1] ?? 11);
  const pad = 2;
  const w = Math.ceil(m.width) + pad * 2;
  const h = Math.ceil(px * 1.45) + pad;
  const base = Math.round(px + pad - 1);
  const { c, g } = canvasOf(w, h, ratio);
  g.font = font;
  g.textBaseline = 'alphabetic';
  g.lineJoin = 'round';
  g.lineWidth = 3;
  g.strokeStyle = HALO;
  g.strokeText(text, pad, base);
  g.fillStyle = color;
  g.fillText(text, pad, base);
  s = { canvas: c, w, h, base };
  cache.set(text, s);
  textCount++;
  return s;
}

const badgeCache = new Map(); // colour → ratio → Map(count → sprite)

/** A cluster: a ring in `color` with the count inside (999+ above that); centred sprite. */
export function clusterBadge(count, color, ratio = 1) {
  const cache = inner(inner(badgeCache, color), ratio);
  const n = Math.min(count, 1000);
  let s = cache.get(n);
  if (s) return s;
  const text = n >= 1000 ? '999+' : String(n);
  const r = text.length <= 1 ? 8 : text.length === 2 ? 9 : text.length === 3 ? 11 : 13;
  const d = r * 2 + 2;
  const { c, g } = canvasOf(d, d, ratio);
  g.beginPath();
  g.arc(d / 2, d / 2, r, 0, Math.PI * 2);
  g.fillStyle = 'rgba(8,16,26,0.88)';
  g.fill();
  g.lineWidth = 2;
  g.strokeStyle = color;
  g.stroke();
  g.font = `bold ${text.length >= 4 ? 8 : 10}px system-ui, sans-serif`;
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  g.fillStyle = '#e8f0f8';
  g.fillText(text, d / 2, d / 2 + 0.5);
  s = { canvas: c, w: d, h: d };
  cache.set(n, s);
  return s;
}

// One milsymbol image per SIDC, drawn once and reused for every entity with that symbol.
// Only milsymbol's core and the 2525C letter-SIDC icons (the package's default entry loads every
// standard); its exports map hides index.mjs, so it is imported by path.
import { ms, std2525c } from '../node_modules/milsymbol/index.mjs';

ms.addIcons(std2525c);

const cache = new Map();
export const SIZE = 18;
export const SMALL = 11; // when thousands are in view: a third of the pixels to blit

/** {canvas, ax, ay, w, h} in CSS pixels (the canvas is drawn at devicePixelRatio). */
export function symbolImage(sidc, ratio = 1, size = SIZE) {
  const key = sidc + '@' + ratio + '@' + size;
  let img = cache.get(key);
  if (img) return img;
  try {
    const sym = new ms.Symbol(sidc, { size, outlineWidth: 2, outlineColor: 'rgba(0,0,0,0.55)' });
    const canvas = sym.asCanvas(ratio);
    const anchor = sym.getAnchor();
    img = { canvas, ax: anchor.x, ay: anchor.y, w: canvas.width / ratio, h: canvas.height / ratio };
  } catch {
    img = null;
  }
  cache.set(key, img);
  return img;
}

export function symbolCacheSize() {
  return cache.size;
}

// The map: one <canvas>, Web Mercator, land and borders from Natural Earth (world-atlas
// TopoJSON), entities as cached MIL-STD-2525 symbols, warning impact ellipses. Drawn with
// requestAnimationFrame only when something changed.
//
// Thousands of entities move every second, the view rarely: the basemap (sea, graticule, land,
// borders) is rendered into an offscreen canvas only when the view or the size changes and
// blitted under each frame; symbols, labels and cluster badges are pre-rendered sprites
// (symbols.js) blitted at whole device pixels; no text is laid out on the visible canvas.
import { feature, mesh } from 'topojson-client';
import { WORLD, project, unproject, fitBounds, ellipsePoints } from './projection.js';
import { symbolImage, textSprite, clusterBadge, SIZE, SMALL } from './symbols.js';
import { ScreenGrid } from './grid.js';

export const START_BOUNDS = [120, 24, 146, 46]; // west, south, east, north: Sea of Japan / East China Sea
const MIN_SCALE = 2;
const MAX_SCALE = 2 ** 14;
const LABEL_LIMIT = 600; // callsigns are drawn when at most this many entities are in view
const SMALL_LIMIT = 1500; // above this many in view, symbols are drawn small
const CLUSTER_LIMIT = 2500; // above this many in view, entities sharing a cell are one cluster
const CLUSTER_CELL = 24; // px: a cluster cell (about a small symbol and its spacing)
const LABEL_FONT = '11px system-ui, "Noto Sans CJK JP", "Noto Sans CJK KR", sans-serif';
const HIT_RADIUS = 14; // px
const LABEL_BUDGET = 60; // new callsign sprites rendered per frame

const THEME = {
  sea: '#0b1622',
  land: '#223345',
  coast: '#5d7d99',
  border: '#6d86a0',
  grid: 'rgba(120,150,180,0.10)',
  gridText: 'rgba(150,175,200,0.45)',
  label: '#dce6f0',
  labelStale: '#7d8a96',
  select: '#ffd23f',
};

// A cluster takes the colour of the most threatening affiliation in it (2525 frame colours):
// hostile > unknown > neutral > friend. Indexed by rank, ranked by the SIDC's affiliation letter.
const CLUSTER_COLORS = ['#80e0ff', '#aaffaa', '#ffff80', '#ff8080'];
function affiliationRank(sidc) {
  switch (sidc ? sidc.charCodeAt(1) : 85) {
    case 70: case 65: case 68: case 77: return 0; // F friend, A assumed friend, D/M exercise friends
    case 78: case 76: return 1; // N neutral, L exercise neutral
    case 72: case 83: case 74: case 75: return 3; // H hostile, S suspect, J joker, K faker
    default: return 2; // U unknown, P pending, G/W/O exercise and other
  }
}

/** Build a Path2D in world units from polygons / lines, breaking at the antimeridian. */
function pathOf(geometry, close) {
  const path = new Path2D();
  const addRing = (ring) => {
    let prevLon = null;
    for (let i = 0; i < ring.length; i++) {
      const [lon, lat] = ring[i];
      const [x, y] = project(lon, lat);
      if (i === 0 || (prevLon !== null && Math.abs(lon - prevLon) > 180)) path.moveTo(x, y);
      else path.lineTo(x, y);
      prevLon = lon;
    }
    if (close) path.closePath();
  };
  const walk = (g) => {
    if (!g) return;
    switch (g.type) {
      case 'Polygon': g.coordinates.forEach(addRing); break;
      case 'MultiPolygon': g.coordinates.forEach((p) => p.forEach(addRing)); break;
      case 'LineString': addRing(g.coordinates); break;
      case 'MultiLineString': g.coordinates.forEach(addRing); break;
      case 'GeometryCollection': g.geometries.forEach(walk); break;
      case 'FeatureCollection': g.features.forEach((f) => walk(f.geometry)); break;
      case 'Feature': walk(g.geometry); break;
    }
  };
  walk(geometry);
  return path;
}

function hatchPattern(ctx, color) {
  const c = document.createElement('canvas');
  c.width = c.height = 12;
  const g = c.getContext('2d');
  g.strokeStyle = color;
  g.lineWidth = 3;
  g.beginPath();
  for (let i = -12; i <= 24; i += 12) {
    g.moveTo(i, 12);
    g.lineTo(i + 12, 0);
  }
  g.stroke();
  return ctx.createPattern(c, 'repeat');
}

/** A typed array twice as long, holding the same values. */
function grow(a) {
  const b = new a.constructor(a.length * 2);
  b.set(a);
  return b;
}

/** Appends (x, y, e) to a point list {n, x, y, e} (parallel arrays, grown when full). */
function addPoint(points, x, y, e) {
  if (points.n === points.x.length) {
    points.x = grow(points.x);
    points.y = grow(points.y);
  }
  points.x[points.n] = x;
  points.y[points.n] = y;
  points.e[points.n] = e;
  points.n++;
}

/** Declutter: places a w × h box at (x, y) in the grid `placed` unless it overlaps one there. */
const LABEL_CELL = 64;
function place(placed, x, y, w, h) {
  const cx0 = Math.floor(x / LABEL_CELL), cx1 = Math.floor((x + w) / LABEL_CELL);
  const cy0 = Math.floor(y / LABEL_CELL), cy1 = Math.floor((y + h) / LABEL_CELL);
  for (let cx = cx0; cx <= cx1; cx++) for (let cy = cy0; cy <= cy1; cy++) {
    for (const b of placed.get(cx * 4096 + cy) ?? []) {
      if (x < b[0] + b[2] && b[0] < x + w && y < b[1] + b[3] && b[1] < y + h) return false;
    }
  }
  for (let cx = cx0; cx <= cx1; cx++) for (let cy = cy0; cy <= cy1; cy++) {
    const k = cx * 4096 + cy;
    if (!placed.has(k)) placed.set(k, []);
    placed.get(k).push([x, y, w, h]);
  }
  return true;
}

export class MapView {
  /**
   * @param {HTMLElement} container
   * @param {{entities: () => Iterable<object>, warnings: () => Iterable<object>, onSelect: (uid:string|null)=>void,
   *   onPointer: (lonlat:[number,number]|null)=>void, exerciseText: string}} source
   */
  constructor(container, source) {
    this.container = container;
    this.source = source;
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'map-canvas';
    container.prepend(this.canvas);
    this.ctx = this.canvas.getContext('2d');
    this.land = null;
    this.borders = null;
    this.view = null;
    this.selected = null;
    this.dirty = false;
    this.frames = 0;
    this.hatch = hatchPattern(this.ctx, 'rgba(255,196,0,0.55)');
    // The basemap, rendered offscreen for one view and size (baseFor) and blitted every frame.
    this.base = document.createElement('canvas');
    this.baseFor = null; // [cx, cy, scale, width, height, dpr, land] it was rendered for
    // Entities in view this frame: screen positions in reused typed arrays, no objects per entity.
    this.inView = { n: 0, x: new Float64Array(1024), y: new Float64Array(1024), e: [] };
    this.grid = new ScreenGrid();
    this.labelGrid = new Map(); // declutter: cell → label boxes placed this frame
    // What the last frame drew, for clicks: entities (e = record) and clusters (e = null).
    this.hits = { n: 0, x: new Float64Array(1024), y: new Float64Array(1024), e: [] };
    new ResizeObserver(() => this.resize()).observe(container);
    this.resize();
    this.bindInput();
  }

  async loadBasemap(baseUrl = './data/') {
    const [land, countries] = await Promise.all([
      fetch(baseUrl + 'land-50m.json').then((r) => r.json()),
      fetch(baseUrl + 'countries-50m.json').then((r) => r.json()),
    ]);
    this.land = pathOf(feature(land, land.objects.land), true);
    this.coast = pathOf(mesh(land, land.objects.land), false);
    this.borders = pathOf(mesh(countries, countries.objects.countries, (a, b) => a !== b), false);
    this.baseFor = null;
    this.redraw();
  }

  resize() {
    const r = this.container.getBoundingClientRect();
    this.width = Math.max(1, r.width);
    this.height = Math.max(1, r.height);
    this.dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(this.width * this.dpr);
    this.canvas.height = Math.round(this.height * this.dpr);
    this.canvas.style.width = this.width + 'px';
    this.canvas.style.height = this.height + 'px';
    this.base.width = this.canvas.width;
    this.base.height = this.canvas.height;
    this.baseFor = null;
    if (!this.view) this.resetView();
    this.redraw();
  }

  resetView() {
    this.view = fitBounds(START_BOUNDS, this.width, this.height);
    this.redraw();
  }

  /** Schedule one redraw on the next animation frame (several calls, one frame). */
  redraw() {
    if (this.dirty) return;
    this.dirty = true;
    requestAnimationFrame(() => {
      this.dirty = false;
      this.draw();
    });
  }

  toScreen(x, y) {
    const v = this.view;
    return [(x - v.cx) * v.scale + this.width / 2, (y - v.cy) * v.scale + this.height / 2];
  }

  toWorld(sx, sy) {
    const v = this.view;
    return [(sx - this.width / 2) / v.scale + v.cx, (sy - this.height / 2) / v.scale + v.cy];
  }

  zoomAt(factor, sx = this.width / 2, sy = this.height / 2) {
    const v = this.view;
    const [wx, wy] = this.toWorld(sx, sy);
    const scale = Math.max(MIN_SCALE, Math.min(MAX_SCALE, v.scale * factor));
    v.scale = scale;
    // keep the world point under the cursor where it was
    v.cx = wx - (sx - this.width / 2) / scale;
    v.cy = wy - (sy - this.height / 2) / scale;
    this.clampView();
    this.redraw();
  }

  panBy(dx, dy) {
    this.view.cx -= dx / this.view.scale;
    this.view.cy -= dy / this.view.scale;
    this.clampView();
    this.redraw();
  }

  clampView() {
    const v = this.view;
    v.cx = Math.max(0, Math.min(WORLD, v.cx));
    v.cy = Math.max(0, Math.min(WORLD, v.cy));
  }

  bindInput() {
    const c = this.canvas;
    let drag = null;
    c.addEventListener('pointerdown', (e) => {
      drag = { x: e.clientX, y: e.clientY, moved: 0 };
      c.setPointerCapture(e.pointerId);
    });
    c.addEventListener('pointermove', (e) => {
      const r = c.getBoundingClientRect();
      this.source.onPointer?.(unproject(...this.toWorld(e.clientX - r.left, e.clientY - r.top)));
      if (!drag) return;
      const dx = e.clientX - drag.x;
      const dy = e.clientY - drag.y;
      drag.moved += Math.abs(dx) + Math.abs(dy);
      drag.x = e.clientX;
      drag.y = e.clientY;
      if (drag.moved > 3) {
        c.classList.add('dragging');
        this.panBy(dx, dy);
      }
    });
    const end = (e) => {
      if (!drag) return;
      const click = drag.moved <= 3;
      drag = null;
      c.classList.remove('dragging');
      if (click && e.type === 'pointerup') {
        const r = c.getBoundingClientRect();
        const x = e.clientX - r.left;
        const y = e.clientY - r.top;
        // A cluster opens by zooming in on it; an entity (or nothing) is selected.
        const hit = this.hitAt(x, y);
        if (hit && hit.cluster) this.zoomAt(3, hit.x, hit.y);
        else this.source.onSelect?.(hit ? hit.uid : null);
      }
    };
    c.addEventListener('pointerup', end);
    c.addEventListener('pointercancel', end);
    c.addEventListener('pointerleave', () => this.source.onPointer?.(null));
    c.addEventListener('wheel', (e) => {
      e.preventDefault();
      const r = c.getBoundingClientRect();
      this.zoomAt(Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015)), e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });
  }

  /** What the last frame drew nearest to (sx, sy) within 14 px: {uid} or {cluster, x, y}, or null. */
  hitAt(sx, sy) {
    const h = this.hits;
    let best = -1;
    let bestD = HIT_RADIUS * HIT_RADIUS;
    for (let i = 0; i < h.n; i++) {
      const d = (h.x[i] - sx) ** 2 + (h.y[i] - sy) ** 2;
      if (d <= bestD) {
        bestD = d;
        best = i;
      }
    }
    if (best < 0) return null;
    const e = h.e[best];
    return e ? { uid: e.uid, x: h.x[best], y: h.y[best] } : { cluster: true, x: h.x[best], y: h.y[best] };
  }

  /** The uid of the entity drawn nearest to (sx, sy) within 14 px, or null. */
  hitTest(sx, sy) {
    return this.hitAt(sx, sy)?.uid ?? null;
  }

  draw() {
    const started = performance.now();
    this.drawFrame();
    this.lastDrawMs = performance.now() - started;
  }

  drawFrame() {
    this.frames++;
    const { ctx, dpr } = this;
    this.renderBase();
    // The cached basemap is opaque: copy it, no blending.
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.globalCompositeOperation = 'copy';
    ctx.drawImage(this.base, 0, 0);
    ctx.globalCompositeOperation = 'source-over';
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    // Impact areas above the entities: they are what must not be missed.
    this.drawEntities();
    for (const w of this.source.warnings()) this.drawWarning(w);
  }

  /** Renders sea, graticule, land and borders offscreen when the view or the size changed. */
  renderBase() {
    const { width, height, dpr, view } = this;
    const f = this.baseFor;
    if (f && f[0] === view.cx && f[1] === view.cy && f[2] === view.scale && f[3] === width && f[4] === height && f[5] === dpr && f[6] === this.land) return;
    this.baseFor = [view.cx, view.cy, view.scale, width, height, dpr, this.land];
    const ctx = this.base.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = THEME.sea;
    ctx.fillRect(0, 0, width, height);
    this.drawGraticule(ctx);
    // basemap: world-unit paths under a transform; line widths divided by the scale.
    if (this.land) {
      ctx.save();
      ctx.translate(width / 2, height / 2);
      ctx.scale(view.scale, view.scale);
      ctx.translate(-view.cx, -view.cy);
      ctx.fillStyle = THEME.land;
      ctx.fill(this.land);
      ctx.lineJoin = 'round';
      ctx.strokeStyle = THEME.coast;
      ctx.lineWidth = 0.8 / view.scale;
      ctx.stroke(this.coast);
      ctx.strokeStyle = THEME.border;
      ctx.setLineDash([4 / view.scale, 3 / view.scale]);
      ctx.lineWidth = 0.9 / view.scale;
      ctx.stroke(this.borders);
      ctx.restore();
    }
  }

  drawGraticule(ctx) {
    const { width, height } = this;
    const [lonW, latN] = unproject(...this.toWorld(0, 0));
    const [lonE, latS] = unproject(...this.toWorld(width, height));
    const span = lonE - lonW;
    const step = [0.25, 0.5, 1, 2, 5, 10, 20, 30].find((s) => span / s <= 12) ?? 30;
    ctx.strokeStyle = THEME.grid;
    ctx.lineWidth = 1;
    ctx.fillStyle = THEME.gridText;
    ctx.font = '10px ui-monospace, "DejaVu Sans Mono", monospace';
    ctx.beginPath();
    for (let lon = Math.ceil(lonW / step) * step; lon <= lonE; lon += step) {
      const [sx] = this.toScreen(...project(lon, 0));
      ctx.moveTo(sx, 0);
      ctx.lineTo(sx, height);
      ctx.fillText(`${+lon.toFixed(2)}°`, sx + 3, height - 4);
    }
    for (let lat = Math.ceil(Math.max(-80, latS) / step) * step; lat <= Math.min(80, latN); lat += step) {
      const [, sy] = this.toScreen(...project(0, lat));
      ctx.moveTo(0, sy);
      ctx.lineTo(width, sy);
      ctx.fillText(`${+lat.toFixed(2)}°`, 3, sy - 3);
    }
    ctx.stroke();
  }

  drawWarning(w) {
    const { ctx } = this;
    const impact = w.predictedImpact;
    const launch = w.launchPoint ?? (w.launchLat !== undefined ? { lat: w.launchLat, lon: w.launchLon } : null);
    const cancelled = w.stage === 'Cancelled';
    const color = w.exercise ? '#ffc400' : cancelled ? '#8a96a3' : '#ff3b3b';
    ctx.save();
    let center = null;
    if (impact && !cancelled) {
      const pts = ellipsePoints(impact.lat, impact.lon, impact.semiMajorMeters, impact.semiMinorMeters, impact.orientationDegrees ?? 0);
      ctx.beginPath();
      pts.forEach(([lon, lat], i) => {
        const [sx, sy] = this.toScreen(...project(lon, lat));
        if (i === 0) ctx.moveTo(sx, sy);
        else ctx.lineTo(sx, sy);
      });
      ctx.closePath();
      ctx.fillStyle = w.exercise ? this.hatch : 'rgba(255,40,40,0.22)';
      ctx.fill();
      ctx.lineWidth = 2;
      ctx.strokeStyle = color;
      ctx.setLineDash(w.exercise ? [8, 5] : []);
      ctx.stroke();
      center = this.toScreen(...project(impact.lon, impact.lat));
    }
    if (launch && typeof launch.lat === 'number') {
      const [lx, ly] = this.toScreen(...project(launch.lon, launch.lat));
      ctx.setLineDash([]);
      ctx.strokeStyle = color;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(lx - 6, ly - 6); ctx.lineTo(lx + 6, ly + 6);
      ctx.moveTo(lx + 6, ly - 6); ctx.lineTo(lx - 6, ly + 6);
      ctx.stroke();
      if (center) {
        ctx.setLineDash([3, 4]);
        ctx.lineWidth = 1.2;
        ctx.beginPath();
        ctx.moveTo(lx, ly);
        ctx.lineTo(center[0], center[1]);
        ctx.stroke();
      }
    }
    if (center) {
      const text = w.exercise ? this.source.exerciseText : `${w.id} v${w.version}`;
      this.blit(textSprite(text, 'bold 12px system-ui, "Noto Sans CJK JP", sans-serif', color, this.dpr), center[0], center[1] + 4, true);
      if (w.exercise) this.blit(textSprite(`${w.id} v${w.version}`, '11px system-ui, sans-serif', color, this.dpr), center[0], center[1] + 19, true);
    }
    ctx.restore();
  }

  /** Blits a text sprite with its baseline at y, starting at x (or centred on x). */
  blit(sprite, x, y, centred = false) {
    const { ctx, dpr } = this;
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(sprite.canvas, Math.round((centred ? x - sprite.w / 2 : x) * dpr), Math.round((y - sprite.base) * dpr));
    ctx.restore();
  }

  /**
   * Entities in view. Up to CLUSTER_LIMIT in view each is a symbol (callsigns too when at most
   * LABEL_LIMIT, decluttered); above that, entities sharing a CLUSTER_CELL cell are drawn as
   * one badge with their count, coloured by the most threatening affiliation among them; a lone
   * entity keeps its symbol. Nothing in view goes undrawn; the selected entity is always drawn.
   */
  drawEntities() {
    const { ctx, width, height, dpr } = this;
    const v = this.view;
    const margin = 30;
    const hx = width / 2 - v.cx * v.scale;
    const hy = height / 2 - v.cy * v.scale;
    const iv = this.inView;
    iv.n = 0;
    let selected = null;
    for (const e of this.source.entities()) {
      if (e.wx === undefined) continue;
      const sx = e.wx * v.scale + hx;
      const sy = e.wy * v.scale + hy;
      if (sx < -margin || sy < -margin || sx > width + margin || sy > height + margin) continue;
      if (e.uid === this.selected) selected = iv.n;
      addPoint(iv, sx, sy, e);
    }
    const n = iv.n;
    iv.e.length = n; // let records of the previous frame go
    this.hits.n = 0;

    // Device pixels from here: sprites are blitted 1:1 at whole pixels.
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    if (n > CLUSTER_LIMIT) {
      this.drawClustered();
    } else {
      const size = n > SMALL_LIMIT ? SMALL : SIZE;
      // Stale first and faded, fresh over them: two passes, one alpha change, no sort.
      ctx.globalAlpha = 0.35;
      for (let i = 0; i < n; i++) if (iv.e[i].stale) this.drawSymbol(i, size);
      ctx.globalAlpha = 1;
      for (let i = 0; i < n; i++) if (!iv.e[i].stale) this.drawSymbol(i, size);
      if (n <= LABEL_LIMIT) this.drawLabels(size);
    }
    ctx.globalAlpha = 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.hits.e.length = this.hits.n;

    if (selected !== null) {
      const sx = iv.x[selected];
      const sy = iv.y[selected];
      if (n > CLUSTER_LIMIT) {
        // it may sit in a cluster: its own symbol on top, so the selection is never hidden
        ctx.setTransform(1, 0, 0, 1, 0, 0);
        this.drawSymbol(selected, SMALL);
        ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      }
      ctx.strokeStyle = THEME.select;
      ctx.lineWidth = 2;
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.arc(sx, sy, 17, 0, Math.PI * 2);
      ctx.stroke();
      ctx.setLineDash([]);
    }
  }

  /** One entity's symbol (a plain diamond without one), in device pixels; clickable after. */
  drawSymbol(i, size) {
    const { ctx, dpr, inView: iv } = this;
    const e = iv.e[i];
    const sx = iv.x[i];
    const sy = iv.y[i];
    const img = e.sidc ? symbolImage(e.sidc, dpr, size) : null;
    if (img) {
      ctx.drawImage(img.canvas, Math.round((sx - img.ax) * dpr), Math.round((sy - img.ay) * dpr));
    } else {
      const r = 6 * dpr;
      const x = sx * dpr;
      const y = sy * dpr;
      ctx.fillStyle = '#b0c4d8';
      ctx.beginPath();
      ctx.moveTo(x, y - r); ctx.lineTo(x + r, y); ctx.lineTo(x, y + r); ctx.lineTo(x - r, y);
      ctx.closePath();
      ctx.fill();
    }
    this.addHit(sx, sy, e);
  }

  addHit(x, y, e) {
    addPoint(this.hits, x, y, e);
  }

  /** Callsigns right of their symbols, fresh ones first; one overlapping a placed label is skipped. */
  drawLabels(size) {
    const { ctx, dpr, inView: iv } = this;
    const placed = this.labelGrid;
    placed.clear();
    let budget = LABEL_BUDGET;
    let more = false;
    for (const stalePass of [false, true]) {
      for (let i = 0; i < iv.n; i++) {
        const e = iv.e[i];
        if (e.stale !== stalePass || !e.callsign) continue;
        const img = e.sidc ? symbolImage(e.sidc, dpr, size) : null;
        const x = img ? Math.round(iv.x[i] - img.ax) + img.w : iv.x[i] + 6; // right of the symbol
        const sy = iv.y[i];
        const color = stalePass ? THEME.labelStale : THEME.label;
        // At most LABEL_BUDGET new label sprites a frame (a frame that zooms in on 600 unlabelled
        // entities would otherwise take a fifth of a second); the rest come on the next frames.
        let sprite = textSprite(e.callsign, LABEL_FONT, color, dpr, false);
        if (!sprite) {
          if (budget === 0) {
            more = true;
            continue;
          }
          budget--;
          sprite = textSprite(e.callsign, LABEL_FONT, color, dpr);
        }
        if (!place(placed, x + 2, sy - 7, sprite.w - 2, 14)) continue;
        ctx.drawImage(sprite.canvas, Math.round(x * dpr), Math.round((sy + 4 - sprite.base) * dpr));
      }
    }
    if (more) this.redraw();
  }

  /** Above CLUSTER_LIMIT in view: one symbol per lone entity, one counted badge per crowded cell. */
  drawClustered() {
    const { ctx, dpr, inView: iv, grid } = this;
    const v = this.view; // cells anchored to the world: the world's origin on the screen
    grid.reset(this.width, this.height, CLUSTER_CELL, this.width / 2 - v.cx * v.scale, this.height / 2 - v.cy * v.scale);
    for (let i = 0; i < iv.n; i++) {
      const e = iv.e[i];
      grid.add(i, iv.x[i], iv.y[i], affiliationRank(e.sidc), e.stale);
    }
    // lone entities: stale ones faded, fresh over them
    for (const stalePass of [true, false]) {
      ctx.globalAlpha = stalePass ? 0.35 : 1;
      for (let k = 0; k < grid.usedCount; k++) {
        const c = grid.used[k];
        if (grid.count[c] !== 1) continue;
        const i = grid.first[c];
        if (iv.e[i].stale === stalePass) this.drawSymbol(i, SMALL);
      }
    }
    // clusters at their members' mean position; faded when every member is stale
    for (const stalePass of [true, false]) {
      ctx.globalAlpha = stalePass ? 0.45 : 1;
      for (let k = 0; k < grid.usedCount; k++) {
        const c = grid.used[k];
        const count = grid.count[c];
        if (count < 2 || (grid.fresh[c] === 0) !== stalePass) continue;
        const x = grid.sumX[c] / count;
        const y = grid.sumY[c] / count;
        const badge = clusterBadge(count, CLUSTER_COLORS[grid.rank[c]], dpr);
        ctx.drawImage(badge.canvas, Math.round((x - badge.w / 2) * dpr), Math.round((y - badge.h / 2) * dpr));
        this.addHit(x, y, null);
      }
    }
  }

  /** Centre the view on a position, zooming in if the view is wide. */
  centerOn(lon, lat) {
    const [x, y] = project(lon, lat);
    this.view.cx = x;
    this.view.cy = y;
    this.redraw();
  }
}

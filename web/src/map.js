// The map: one <canvas>, Web Mercator, land and borders from Natural Earth (world-atlas
// TopoJSON), entities as cached MIL-STD-2525 symbols, warning impact ellipses. Drawn with
// requestAnimationFrame only when something changed.
import { feature, mesh } from 'topojson-client';
import { WORLD, project, unproject, fitBounds, ellipsePoints } from './projection.js';
import { symbolImage, SIZE, SMALL } from './symbols.js';

export const START_BOUNDS = [120, 24, 146, 46]; // west, south, east, north: Sea of Japan / East China Sea
const MIN_SCALE = 2;
const MAX_SCALE = 2 ** 14;
const LABEL_LIMIT = 600; // callsigns are drawn when at most this many entities are in view
const SMALL_LIMIT = 2500; // above this many in view, symbols are drawn small

const THEME = {
  sea: '#0b1622',
  land: '#223345',
  coast: '#5d7d99',
  border: '#6d86a0',
  grid: 'rgba(120,150,180,0.10)',
  gridText: 'rgba(150,175,200,0.45)',
  label: '#dce6f0',
  labelStale: '#7d8a96',
  halo: 'rgba(5,10,16,0.85)',
  select: '#ffd23f',
};

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
    this.screen = []; // [uid, x, y] of drawn entities, for hit tests
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
        this.source.onSelect?.(this.hitTest(e.clientX - r.left, e.clientY - r.top));
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

  /** The uid of the entity drawn nearest to (sx, sy) within 14 px, or null. */
  hitTest(sx, sy) {
    let best = null;
    let bestD = 14 * 14;
    for (const [uid, x, y] of this.screen) {
      const d = (x - sx) ** 2 + (y - sy) ** 2;
      if (d <= bestD) {
        bestD = d;
        best = uid;
      }
    }
    return best;
  }

  draw() {
    const started = performance.now();
    this.drawFrame();
    this.lastDrawMs = performance.now() - started;
  }

  drawFrame() {
    this.frames++;
    const { ctx, width, height, dpr, view } = this;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = THEME.sea;
    ctx.fillRect(0, 0, width, height);

    this.drawGraticule();

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

    // Impact areas above the entities: they are what must not be missed.
    this.drawEntities();
    for (const w of this.source.warnings()) this.drawWarning(w);
  }

  drawGraticule() {
    const { ctx, width, height } = this;
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
      ctx.setLineDash([]);
      ctx.font = 'bold 12px system-ui, "Noto Sans CJK JP", sans-serif';
      ctx.textAlign = 'center';
      ctx.lineWidth = 3;
      ctx.strokeStyle = THEME.halo;
      const text = w.exercise ? this.source.exerciseText : `${w.id} v${w.version}`;
      ctx.strokeText(text, center[0], center[1] + 4);
      ctx.fillStyle = color;
      ctx.fillText(text, center[0], center[1] + 4);
      if (w.exercise) {
        ctx.font = '11px system-ui, sans-serif';
        ctx.strokeText(`${w.id} v${w.version}`, center[0], center[1] + 19);
        ctx.fillText(`${w.id} v${w.version}`, center[0], center[1] + 19);
      }
    }
    ctx.restore();
  }

  drawEntities() {
    const { ctx, width, height, dpr } = this;
    const margin = 30;
    const visible = [];
    for (const e of this.source.entities()) {
      if (e.wx === undefined) continue;
      const [sx, sy] = this.toScreen(e.wx, e.wy);
      if (sx < -margin || sy < -margin || sx > width + margin || sy > height + margin) continue;
      visible.push([e, sx, sy]);
    }
    const screen = [];
    const labels = visible.length <= LABEL_LIMIT;
    const size = visible.length > SMALL_LIMIT ? SMALL : SIZE;
    // Callsigns are decluttered: a label whose box would overlap one already placed is skipped
    // (the symbol is still drawn; the list and the detail panel have every callsign).
    const placed = new Map(); // grid cell → boxes
    const CELL = 64;
    const place = (x, y, w, hgt) => {
      const cx0 = Math.floor(x / CELL), cx1 = Math.floor((x + w) / CELL);
      const cy0 = Math.floor(y / CELL), cy1 = Math.floor((y + hgt) / CELL);
      for (let cx = cx0; cx <= cx1; cx++) for (let cy = cy0; cy <= cy1; cy++) {
        for (const b of placed.get(cx * 4096 + cy) ?? []) {
          if (x < b[0] + b[2] && b[0] < x + w && y < b[1] + b[3] && b[1] < y + hgt) return false;
        }
      }
      for (let cx = cx0; cx <= cx1; cx++) for (let cy = cy0; cy <= cy1; cy++) {
        const k = cx * 4096 + cy;
        if (!placed.has(k)) placed.set(k, []);
        placed.get(k).push([x, y, w, hgt]);
      }
      return true;
    };
    ctx.font = '11px system-ui, "Noto Sans CJK JP", "Noto Sans CJK KR", sans-serif';
    ctx.textAlign = 'left';
    ctx.lineJoin = 'round';
    let selected = null;
    const pending = []; // callsigns to draw after the symbols: [text, x, y, stale]
    // Fresh entities last, so they are drawn over stale ones (and labelled first, below).
    visible.sort((a, b) => (b[0].stale ? 1 : 0) - (a[0].stale ? 1 : 0));
    for (const item of visible) {
      const [e, sx, sy] = item;
      screen.push([e.uid, sx, sy]);
      if (e.uid === this.selected) selected = item;
      const alpha = e.stale ? 0.35 : 1;
      if (ctx.globalAlpha !== alpha) ctx.globalAlpha = alpha;
      const img = e.sidc ? symbolImage(e.sidc, dpr, size) : null;
      let right = sx + 6;
      if (img) {
        const x = Math.round(sx - img.ax);
        const y = Math.round(sy - img.ay);
        ctx.drawImage(img.canvas, x, y, img.w, img.h);
        right = x + img.w + 2;
      } else {
        ctx.fillStyle = '#b0c4d8';
        ctx.beginPath();
        ctx.moveTo(sx, sy - 6); ctx.lineTo(sx + 6, sy); ctx.lineTo(sx, sy + 6); ctx.lineTo(sx - 6, sy);
        ctx.closePath();
        ctx.fill();
      }
      if (labels && e.callsign) pending.push([e.callsign, right, sy, e.stale]);
    }
    ctx.globalAlpha = 1;
    ctx.lineWidth = 3;
    ctx.strokeStyle = THEME.halo;
    for (let i = pending.length - 1; i >= 0; i--) {
      const [text, x, y, stale] = pending[i];
      if (!place(x, y - 7, ctx.measureText(text).width + 2, 14)) continue;
      ctx.strokeText(text, x, y + 4);
      ctx.fillStyle = stale ? THEME.labelStale : THEME.label;
      ctx.fillText(text, x, y + 4);
    }
    ctx.globalAlpha = 1;
    if (selected) {
      const [, sx, sy] = selected;
      ctx.strokeStyle = THEME.select;
      ctx.lineWidth = 2;
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.arc(sx, sy, 17, 0, Math.PI * 2);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    this.screen = screen;
  }

  /** Centre the view on a position, zooming in if the view is wide. */
  centerOn(lon, lat) {
    const [x, y] = project(lon, lat);
    this.view.cx = x;
    this.view.cy = y;
    this.redraw();
  }
}

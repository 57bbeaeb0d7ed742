// Web Mercator (EPSG:3857) in "world units": the whole world is WORLD × WORLD, x east, y south.
export const WORLD = 256;
const MAX_LAT = 85.05112878;

/** [lon, lat] → world [x, y]. */
export function project(lon, lat) {
  const φ = (Math.max(-MAX_LAT, Math.min(MAX_LAT, lat)) * Math.PI) / 180;
  const x = ((lon + 180) / 360) * WORLD;
  const y = ((1 - Math.log(Math.tan(φ) + 1 / Math.cos(φ)) / Math.PI) / 2) * WORLD;
  return [x, y];
}

/** world [x, y] → [lon, lat]. */
export function unproject(x, y) {
  const lon = (x / WORLD) * 360 - 180;
  const n = Math.PI - (2 * Math.PI * y) / WORLD;
  const lat = (180 / Math.PI) * Math.atan(Math.sinh(n));
  return [lon, lat];
}

/**
 * The view (centre in world units and scale in screen pixels per world unit) that shows the
 * bounds [west, south, east, north] in a width × height viewport.
 */
export function fitBounds([west, south, east, north], width, height) {
  const [x0, y0] = project(west, north);
  const [x1, y1] = project(east, south);
  const scale = Math.min(width / (x1 - x0), height / (y1 - y0));
  return { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, scale };
}

/**
 * Points of an ellipse on the ground (centre lat/lon, semi-axes in metres, the major axis's
 * azimuth in degrees clockwise from north), as [lon, lat] pairs. Small-area approximation.
 */
export function ellipsePoints(lat, lon, semiMajor, semiMinor, azimuthDeg, n = 72) {
  const θ = (azimuthDeg * Math.PI) / 180;
  const mPerDegLat = 111320;
  const mPerDegLon = 111320 * Math.cos((lat * Math.PI) / 180);
  const out = [];
  for (let i = 0; i <= n; i++) {
    const t = (i / n) * 2 * Math.PI;
    const a = semiMajor * Math.cos(t);
    const b = semiMinor * Math.sin(t);
    // major axis along (sin θ, cos θ) in (east, north); minor axis perpendicular.
    const east = a * Math.sin(θ) + b * Math.cos(θ);
    const north = a * Math.cos(θ) - b * Math.sin(θ);
    out.push([lon + east / mPerDegLon, lat + north / mPerDegLat]);
  }
  return out;
}

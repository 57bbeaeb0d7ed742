#!/usr/bin/env node
// A tiny stand-in for `kizuna serve` to try the console by hand: serves dist/ and fake data
// shaped as /tmp/console-contract.md says (whoami, profile, events, warnings, ack, and the
// live WebSocket with a minimal frame writer). Not part of the product.
//
//   node dev/mock-server.mjs [--port 8090] [--entities 1500] [--rate 200] [--tick 100] [--noauth]
//
// Sign in by opening the URL it prints (sets the kizuna_console cookie), as with the real node.
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf('--' + name);
  return i >= 0 ? args[i + 1] : dflt;
};
const PORT = Number(opt('port', 8090));
const ENTITIES = Number(opt('entities', 400));
const RATE = Number(opt('rate', 50)); // moves per second
const TICK = Number(opt('tick', 100)); // ms between batches of moves (a real node forwards each as it comes)
const NOAUTH = args.includes('--noauth');
const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');

// ───────── identity and profile ─────────
const whoami = {
  name: 'jjoc-j3', nation: 'JPN', organization: 'JJOC', organizationName: 'JSDF Joint Operations Command',
  role: 'watch-officer', clearance: 'SECRET', authorizations: [], defaultLabel: 'CONFIDENTIAL//REL TO JPN',
  node: { organization: 'JJOC', organizationName: 'JSDF Joint Operations Command', nation: 'JPN', profile: 'us-jpn-kor', profileVersion: '1.0.0' },
};
const file = JSON.parse(readFileSync(join(root, '../profiles/us-jpn-kor.json'), 'utf8'));
const profile = {
  id: file.id, name: file.name, version: file.version, policy: file.policy, classifications: file.classifications, nations: file.nations,
  organizations: file.organizations.map((o) => ({ id: o.id, name: o.name, nations: o.nations ?? [o.nation], kind: o.kind, defaultClassification: o.defaultClassification, mayReleaseTo: o.mayReleaseTo ?? [], names: o.names ?? {} })),
  relationships: file.relationships.map((r) => ({ superior: r.superior, subordinate: r.subordinate, kind: r.kind, from: r.from ?? null, until: r.until ?? null, note: r.note ?? null })),
  counterparts: file.counterparts,
};
const NATIONS = ['USA', 'JPN', 'KOR'];

function label(classification, rel, caveat = null) {
  const releasableTo = NATIONS.filter((n) => rel.includes(n));
  return { banner: `${classification}${caveat ? '//' + caveat : ''}//REL TO ${releasableTo.join(', ')}`, policy: 'urn:kizuna:policy:us-jpn-kor', classification, releasableTo, caveat, categories: [] };
}
const permits = (l) => l.releasableTo.includes(whoami.nation) && file.classifications.indexOf(l.classification) <= file.classifications.indexOf(whoami.clearance);

// ───────── entities ─────────
let seed = 42;
const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const TYPES = [
  ['a-f-G-U-C', 'JGSDF'], ['a-f-G-U-C-I', 'ARDB'], ['a-f-S-C-L-D-D', 'DDG'], ['a-f-A-M-F-F', 'F-15J'], ['a-f-A-M-H', 'SH-60K'],
  ['a-f-G-E-V-A', 'AAV7'], ['a-f-U-S', 'SS'], ['a-n-S-X-M', 'MERCHANT'], ['a-u-S', 'UNK-SURF'], ['a-h-S-C-L', 'HOSTILE-SC'],
  ['a-h-A-M-F', 'BANDIT'], ['a-u-A', 'UNK-AIR'], ['a-h-U-S', 'SUB-CONTACT'], ['a-f-G-U-C-F', 'MLR-FIRES'], ['a-n-A-C-F', 'CIVAIR'],
];
const LABELS = [label('UNCLASSIFIED', NATIONS), label('CONFIDENTIAL', NATIONS), label('CONFIDENTIAL', ['USA', 'JPN']), label('SECRET', ['USA', 'JPN']), label('SECRET', ['JPN']), label('SECRET', ['USA', 'KOR'])];
const entities = [];
for (let i = 0; i < ENTITIES; i++) {
  const [type, name] = TYPES[i % TYPES.length];
  const air = type.split('-')[2] === 'A';
  entities.push({
    uid: `mock-${i}`, type, callsign: `${name}-${String(i).padStart(4, '0')}`,
    lat: 24 + rnd() * 22, lon: 120 + rnd() * 26, heading: rnd() * 360, speed: air ? 0.02 : 0.003,
    label: LABELS[i < 6 ? i : Math.floor(rnd() * rnd() * 4)], // mostly low labels, a few high
  });
}
entities[0].callsign = '<img src=x onerror=alert(1)>';
Object.assign(entities[0], { lat: 35.45, lon: 139.65, type: 'a-f-G-U-C' });
Object.assign(entities[1], { callsign: 'ROKN-SEJONG', lat: 37.2, lon: 130.1, type: 'a-f-S-C-L-D-D' });
const history = [];
const iso = (t) => new Date(t).toISOString();

function eventOf(e, now, staleIn = 120000) {
  return {
    uid: e.uid, type: e.type, how: 'm-g', time: iso(now), start: iso(now), stale: iso(now + staleIn),
    access: e.label.classification, releasableTo: e.label.releasableTo.join(','), caveat: e.label.caveat ?? undefined,
    point: { lat: +e.lat.toFixed(5), lon: +e.lon.toFixed(5), hae: 0, ce: 10, le: 10 }, callsign: e.callsign,
    detail: `<contact callsign="${e.callsign.replace(/[<>&"]/g, '')}"/>`, receivedAt: iso(now + 3), sender: 'mock-tak', label: e.label,
  };
}
function move(e, dt) {
  e.heading += (rnd() - 0.5) * 20;
  const r = (e.heading * Math.PI) / 180;
  e.lat = Math.max(20, Math.min(48, e.lat + Math.cos(r) * e.speed * dt));
  e.lon = Math.max(115, Math.min(150, e.lon + Math.sin(r) * e.speed * dt));
}
// an hour of history for the time slider: every entity every 5 minutes
const t0 = Date.now() - 3600_000;
for (let t = t0; t <= Date.now(); t += 300_000) {
  for (const e of entities.slice(0, Math.floor(ENTITIES / 2))) {
    move(e, 30);
    history.push(eventOf(e, t, 300_000));
  }
}
const latest = new Map();
const now0 = Date.now();
entities.forEach((e, i) => latest.set(e.uid, eventOf(e, now0, i % 25 === 0 ? -1000 : 120000))); // some already stale
for (const ev of latest.values()) history.push(ev);

// ───────── warnings ─────────
const warnings = new Map(); // id → versions[]
const receipts = []; // {id, version, recipient, organization, nation, deliveredAt, acknowledgedAt}
function addWarning(w) {
  const versions = warnings.get(w.id) ?? [];
  versions.push(w);
  warnings.set(w.id, versions);
  for (const [recipient, organization, nation, delivered] of [['jjoc-j3', 'JJOC', 'JPN', true], ['usfj-ops', 'USFJ', 'USA', true], ['rokjcs-ops', 'ROK-JCS', 'KOR', true], ['indopacom-j3', 'INDOPACOM', 'USA', false]]) {
    receipts.push({ id: w.id, version: w.version, recipient, organization, nation, deliveredAt: delivered ? iso(Date.now()) : null, acknowledgedAt: organization === 'USFJ' ? iso(Date.now() + 4000) : null });
  }
}
const base = Date.now() - 180_000;
const real = { id: 'W-20260412-0001', stage: 'Launch', exercise: false, issuedAt: iso(base), launchTime: iso(base - 60000), launchLat: 39.03, launchLon: 125.75, confidence: 0.6, affectedPrefectures: [], sensors: ['JPN-FPS-5-SADO'], label: label('SECRET', ['USA', 'JPN', 'KOR']) };
addWarning({ ...real, version: 1, predictedImpact: null });
addWarning({ ...real, version: 2, stage: 'TakeShelter', issuedAt: iso(base + 60000), confidence: 0.85, predictedImpact: { lat: 40.2, lon: 137.4, semiMajorMeters: 120000, semiMinorMeters: 60000, orientationDegrees: 70, time: iso(base + 540000) }, affectedPrefectures: ['Akita', 'Aomori'], sensors: ['JPN-FPS-5-SADO', 'USA-TPY-2-SHARIKI'] });
const ex = { id: 'EX-W-20260412-0001', version: 1, stage: 'Launch', exercise: true, issuedAt: iso(base + 30000), launchTime: iso(base), launchLat: 33.2, launchLon: 127.5, confidence: 0.7, affectedPrefectures: [], sensors: ['KOR-KDX-III-SEJONG'], label: label('UNCLASSIFIED', NATIONS, 'EXERCISE'), predictedImpact: { lat: 31.8, lon: 131.8, semiMajorMeters: 90000, semiMinorMeters: 45000, orientationDegrees: 110, time: iso(base + 600000) } };
addWarning(ex);
const hidden = { ...real, id: 'W-KOR-ONLY', version: 1, label: label('SECRET', ['USA', 'KOR']) };
addWarning(hidden); // never shown to the JPN identity

function warningJson(v) {
  const rs = receipts.filter((r) => r.id === v.id && r.version === v.version).map(({ id, version, ...r }) => r);
  const notAck = [...new Set(rs.filter((r) => r.deliveredAt).map((r) => r.organization))].filter((o) => !rs.some((r) => r.organization === o && r.acknowledgedAt)).sort();
  return { ...v, receipts: rs, notAcknowledgedBy: notAck, escalatedFor: v.version === 2 ? ['ROK-JCS'] : [] };
}
const latestVersions = () => [...warnings.values()].map((vs) => vs[vs.length - 1]).filter((v) => permits(v.label));

// ───────── HTTP ─────────
const sessions = new Set();
const authed = (req) => NOAUTH || (req.headers.cookie ?? '').split(/;\s*/).some((c) => sessions.has(c.replace(/^kizuna_console=/, '')));
const TYPES_MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.png': 'image/png' };
const SECURITY = { 'Content-Security-Policy': "default-src 'self'; connect-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'", 'X-Content-Type-Options': 'nosniff' };

function json(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...SECURITY });
  res.end(JSON.stringify(body));
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname;
  if (p === '/console/sign-in') {
    if (url.searchParams.get('token') !== 'mock') return json(res, 401, { error: 'unknown or used token' });
    const s = randomBytes(16).toString('hex');
    sessions.add(s);
    res.writeHead(302, { 'Set-Cookie': `kizuna_console=${s}; HttpOnly; SameSite=Strict; Path=/`, Location: '/' });
    return res.end();
  }
  if (p === '/console/sign-out' && req.method === 'POST') {
    res.writeHead(204, { 'Set-Cookie': 'kizuna_console=; Max-Age=0; Path=/' });
    return res.end();
  }
  if (p.startsWith('/api/')) {
    if (!authed(req)) return json(res, 401, { error: 'no identity: sign in with ./kizuna console-token' });
    if (p === '/api/whoami') return json(res, 200, whoami);
    if (p === '/api/profile') return json(res, 200, profile);
    if (p === '/api/events/latest') return json(res, 200, [...latest.values()].filter((e) => permits(e.label) && Date.parse(e.stale) > Date.now()));
    if (p === '/api/events/state') {
      // As the node answers: each uid's newest event by then that the caller may see, stale ones for an hour.
      const at = Date.parse(url.searchParams.get('at') ?? '');
      if (Number.isNaN(at)) return json(res, 400, { error: 'at: expected an ISO 8601 time such as 2026-11-22T09:00:00Z' });
      const state = new Map();
      for (const e of history) {
        if (Date.parse(e.time) <= at && permits(e.label)) state.set(e.uid, e);
      }
      return json(res, 200, [...state.values()].filter((e) => Date.parse(e.stale) > at - 3_600_000));
    }
    if (p === '/api/events') {
      const since = Date.parse(url.searchParams.get('since') ?? 0) || 0;
      const until = Date.parse(url.searchParams.get('until') ?? '') || Date.now();
      const limit = Math.min(10000, Number(url.searchParams.get('limit') ?? 1000));
      const out = history.filter((e) => permits(e.label) && Date.parse(e.time) >= since && Date.parse(e.time) <= until).reverse().slice(0, limit);
      return json(res, 200, out);
    }
    if (p === '/api/warnings') return json(res, 200, latestVersions().map((v) => ({ ...warningJson(v), receipts: [] })));
    const m = /^\/api\/warnings\/([^/]+)(\/ack)?$/.exec(p);
    if (m) {
      const id = decodeURIComponent(m[1]);
      const versions = (warnings.get(id) ?? []).filter((v) => permits(v.label));
      if (versions.length === 0) return json(res, 404, { error: `no warning ${id}` });
      if (m[2] && req.method === 'POST') {
        let body = '';
        for await (const chunk of req) body += chunk;
        const { version } = JSON.parse(body || '{}');
        const r = receipts.find((x) => x.id === id && x.version === version && x.recipient === whoami.name);
        if (!r) return json(res, 400, { error: 'no such version' });
        r.deliveredAt ??= iso(Date.now());
        r.acknowledgedAt = iso(Date.now());
        res.writeHead(204, SECURITY);
        return res.end();
      }
      return json(res, 200, versions.map(warningJson)); // the current server's shape: one entry per version
    }
    return json(res, 404, { error: 'not found' });
  }
  // static
  const rel = p === '/' ? 'index.html' : normalize(decodeURIComponent(p)).replace(/^([/\\])+/, '');
  if (rel.includes('..')) return json(res, 400, { error: 'bad path' });
  try {
    const body = await readFile(join(dist, rel));
    res.writeHead(200, { 'Content-Type': TYPES_MIME[extname(rel)] ?? 'application/octet-stream', ...SECURITY });
    res.end(body);
  } catch {
    json(res, 404, { error: 'not found' });
  }
});

// ───────── WebSocket ─────────
const sockets = new Set();
function frame(text) {
  const payload = Buffer.from(text, 'utf8');
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x81, n]) : n < 65536 ? Buffer.from([0x81, 126, n >> 8, n & 255]) : Buffer.concat([Buffer.from([0x81, 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return b; })()]);
  return Buffer.concat([head, payload]);
}
const send = (sock, obj) => sock.write(frame(JSON.stringify(obj)));

server.on('upgrade', (req, sock) => {
  if (new URL(req.url, 'http://x').pathname !== '/api/console/live' || !authed(req)) {
    sock.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  const accept = createHash('sha1').update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  sockets.add(sock);
  send(sock, { kind: 'hello', whoami });
  send(sock, { kind: 'snapshot', events: [...latest.values()].filter((e) => permits(e.label) && Date.parse(e.stale) > Date.now()) });
  for (const v of latestVersions()) send(sock, { kind: 'warning', warning: { ...warningJson(v), receipts: [] } });
  let buf = Buffer.alloc(0);
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 6) {
      const op = buf[0] & 15;
      let len = buf[1] & 127;
      let off = 2;
      if (len === 126) { len = buf.readUInt16BE(2); off = 4; }
      else if (len === 127) { sock.destroy(); return; }
      if (buf.length < off + 4 + len) return;
      const mask = buf.subarray(off, off + 4);
      const data = Buffer.from(buf.subarray(off + 4, off + 4 + len)).map((b, i) => b ^ mask[i % 4]);
      buf = buf.subarray(off + 4 + len);
      if (op === 8) { sock.end(Buffer.from([0x88, 0])); sockets.delete(sock); return; }
      if (op === 1 && data.toString() === '{"kind":"ping"}') send(sock, { kind: 'pong' });
    }
  });
  sock.on('close', () => sockets.delete(sock));
  sock.on('error', () => sockets.delete(sock));
});

// live movement
let acc = 0;
setInterval(() => {
  const now = Date.now();
  acc += (RATE * TICK) / 1000;
  while (acc >= 1) {
    acc--;
    const e = entities[Math.floor(rnd() * entities.length)];
    move(e, 1);
    const ev = eventOf(e, now);
    latest.set(e.uid, ev);
    history.push(ev);
    if (permits(e.label)) for (const s of sockets) send(s, { kind: 'event', event: ev });
  }
  if (history.length > 400000) history.splice(0, history.length - 300000);
}, TICK);

server.listen(PORT, '127.0.0.1', () => {
  console.log(`mock Kizuna console on http://127.0.0.1:${PORT}/ (${ENTITIES} entities, ${RATE} moves/s${NOAUTH ? ', no sign-in' : ''})`);
  console.log(`http://127.0.0.1:${PORT}/console/sign-in?token=mock`);
});

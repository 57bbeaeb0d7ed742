// Kizuna console: wiring of the map, the live feed, the panels and the language.
import { h, $, zulu, latLon } from './dom.js';
import { api, Unauthorized, Forbidden, normalizeWarning, normalizeWarningDetail } from './api.js';
import { renderFederation } from './federation.js';
import { renderCoordination, renderReadiness } from './desks.js';
import { setupPackagePanel } from './onboard.js';
import { LiveFeed } from './live.js';
import { MapView } from './map.js';
import { project } from './projection.js';
import { cotToSidc } from './sidc.js';
import { highestLabel, levelColor } from './labels.js';
import { stateAt, isPictureEvent, ms } from './replay.js';
import { pickLanguage, translate, LANGUAGES } from './i18n.js';
import { symbolImage } from './symbols.js';
import { insertSorted, removeSorted } from './order.js';
import { renderCommandTree } from './tree.js';
import { renderWarnings, receiptsByOrganization } from './warnings.js';

export const EXERCISE_TEXT = 'EXERCISE 訓練 훈련';
const STALE_CHECK_MS = 3000;
const DROP_AFTER_STALE_MS = 30 * 60 * 1000;

const state = {
  lang: 'en',
  whoami: null,
  profile: null,
  live: new Map(), // uid → record
  replay: { active: false, loading: false, events: [], since: 0, until: 0, t: 0, records: new Map() },
  warnings: new Map(), // id → latest WarningJson
  details: new Map(), // id → normalized detail (versions, receipts)
  acked: new Set(), // "id#version" acknowledged from this browser
  ackErrors: new Map(),
  selected: null,
  filter: '',
  uiDirty: { list: true, detail: true, banner: true, warnings: true, tree: true },
  listChanged: new Set(),
  listResort: true,
};

export const t = (key, params) => translate(state.lang, key, params);

// ───────────────────────── entities ─────────────────────────

function recordOf(event, now) {
  const [wx, wy] = project(event.point.lon, event.point.lat);
  return {
    uid: event.uid,
    event,
    wx,
    wy,
    sidc: cotToSidc(event.type),
    callsign: event.callsign || event.uid,
    affiliation: (event.type.split('-')[1] ?? '').toLowerCase(),
    stale: ms(event.stale) <= now,
  };
}

function displayed() {
  return state.replay.active ? state.replay.records : state.live;
}

function upsertLive(event) {
  if (!isPictureEvent(event) || typeof event.point?.lat !== 'number') return;
  const prev = state.live.get(event.uid);
  if (prev && ms(prev.event.time) > ms(event.time)) return; // an older report arriving late
  const rec = recordOf(event, Date.now());
  state.live.set(event.uid, rec);
  if (!state.replay.active) {
    state.listChanged.add(event.uid);
    touch('list', 'banner', event.uid === state.selected ? 'detail' : null);
    mapView?.redraw();
  }
}

function removeLive(uid) {
  if (!state.live.delete(uid)) return;
  if (!state.replay.active) {
    state.listChanged.add(uid);
    touch('list', 'banner', uid === state.selected ? 'detail' : null);
    mapView?.redraw();
  }
}

function replaceLive(events) {
  state.live.clear();
  const now = Date.now();
  for (const e of events ?? []) {
    if (isPictureEvent(e) && typeof e.point?.lat === 'number') state.live.set(e.uid, recordOf(e, now));
  }
  if (!state.replay.active) resetList();
}

/** Every few seconds: fade what has gone stale, drop what has been stale for long. */
function staleSweep() {
  const now = state.replay.active ? state.replay.t : Date.now();
  let changed = false;
  for (const rec of displayed().values()) {
    const stale = ms(rec.event.stale) <= now;
    if (stale !== rec.stale) {
      rec.stale = stale;
      state.listChanged.add(rec.uid);
      changed = true;
    }
  }
  if (!state.replay.active) {
    for (const rec of [...state.live.values()]) {
      if (ms(rec.event.stale) + DROP_AFTER_STALE_MS < now) removeLive(rec.uid);
    }
  }
  if (changed) {
    touch('list', 'detail');
    mapView?.redraw();
  }
}

// ───────────────────────── UI scheduling ─────────────────────────

let uiFrame = false;
function touch(...parts) {
  for (const p of parts) if (p) state.uiDirty[p] = true;
  if (uiFrame) return;
  uiFrame = true;
  requestAnimationFrame(() => {
    uiFrame = false;
    const d = state.uiDirty;
    state.uiDirty = {};
    if (d.list) renderList();
    if (d.detail) renderDetail();
    if (d.warnings) renderWarningsPanel();
    if (d.tree) renderTree();
    if (d.banner || d.list || d.warnings) renderBanner();
  });
}

// ───────────────────────── entity list ─────────────────────────

// Rows in list order (callsign, then uid): a new or renamed entity is inserted at its place, so
// thousands of moves and a few arrivals a second touch a handful of rows, not the whole list.
const listItems = new Map(); // uid → row {uid, callsign, li}
const listOrder = []; // rows, sorted by compareRows
const collator = new Intl.Collator();
const compareRows = (a, b) => collator.compare(a.callsign, b.callsign) || (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0);
let listVisible = 0; // rows not hidden by the filter

function resetList() {
  for (const row of listItems.values()) row.li.remove();
  listItems.clear();
  listOrder.length = 0;
  listVisible = 0;
  state.listChanged = new Set(displayed().keys());
  state.listResort = true;
  touch('list', 'banner', 'detail');
  mapView?.redraw();
}

function matchesFilter(rec) {
  const f = state.filter;
  if (!f) return true;
  return rec.callsign.toLowerCase().includes(f) || rec.event.type.toLowerCase().includes(f) || rec.uid.toLowerCase().includes(f);
}

/** Puts a row's <li> where the sorted order says (unless the whole list is re-appended below). */
function placeRow(row) {
  if (state.listResort) return void listOrder.push(row); // sorted once, below
  const i = insertSorted(listOrder, row, compareRows);
  $('#entity-list').insertBefore(row.li, listOrder[i + 1]?.li ?? null);
}

/** Sets an element's text only when it differs: a no-op write still costs a layout. */
function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

function renderList() {
  const list = $('#entity-list');
  const shown = displayed();
  for (const uid of state.listChanged) {
    const rec = shown.get(uid);
    let row = listItems.get(uid);
    if (!rec) {
      if (row) {
        row.li.remove();
        removeSorted(listOrder, row, compareRows);
        listItems.delete(uid);
        if (!row.li.hidden) listVisible--;
      }
      continue;
    }
    if (!row) {
      row = { uid, callsign: rec.callsign, li: h('li', { 'data-testid': 'entity', dataset: { uid }, tabindex: '0' }) };
      listItems.set(uid, row);
      listVisible++;
      placeRow(row);
    } else if (row.callsign !== rec.callsign) {
      removeSorted(listOrder, row, compareRows);
      row.callsign = rec.callsign;
      placeRow(row);
    }
    const li = row.li;
    // Touch the DOM only where something changed: thousands of moves a second change no text.
    setText(li, rec.callsign); // text only, never markup
    const title = `${rec.event.type} · ${rec.uid}`;
    if (li.title !== title) li.title = title;
    const cls = `aff-${/^[a-z]$/.test(rec.affiliation) ? rec.affiliation : 'u'}${rec.stale ? ' stale' : ''}${uid === state.selected ? ' selected' : ''}`;
    if (li.className !== cls) li.className = cls;
    const hidden = !matchesFilter(rec);
    if (li.hidden !== hidden) {
      li.hidden = hidden;
      listVisible += hidden ? -1 : 1;
    }
  }
  state.listChanged = new Set();
  if (state.listResort) {
    // After a reset (snapshot, replay, back to live): every row at once, in one append.
    state.listResort = false;
    listOrder.sort(compareRows);
    list.append(...listOrder.map((row) => row.li));
  }
  // No-op writes still invalidate layout (and with it every row's visibility check): skip them.
  setText($('#entity-count'), t('entities.count', { n: listVisible }));
  if (list.dataset.empty !== String(listVisible === 0)) list.dataset.empty = String(listVisible === 0);
}

function applyFilter() {
  state.filter = $('#entity-filter').value.trim().toLowerCase();
  state.listChanged = new Set(displayed().keys());
  touch('list');
}

function select(uid, center = false) {
  const prev = state.selected;
  state.selected = uid;
  if (prev) state.listChanged.add(prev);
  if (uid) state.listChanged.add(uid);
  if (mapView) {
    mapView.selected = uid;
    const rec = uid && displayed().get(uid);
    if (center && rec) mapView.centerOn(rec.event.point.lon, rec.event.point.lat);
    mapView.redraw();
  }
  touch('list', 'detail');
}

// ───────────────────────── detail panel ─────────────────────────

function labelBadge(label, testid) {
  const el = h('div', { class: 'label-badge', 'data-testid': testid, text: label?.banner ?? '—' });
  const c = levelColor(label?.classification);
  el.style.background = c.background;
  el.style.color = c.color;
  return el;
}

function renderDetail() {
  const panel = $('#entity-detail');
  panel.replaceChildren();
  const rec = state.selected ? displayed().get(state.selected) : null;
  if (!rec) {
    panel.append(h('h2', { text: t('detail.title') }), h('p', { class: 'muted', text: t('detail.none') }));
    return;
  }
  const e = rec.event;
  const sym = rec.sidc ? symbolImage(rec.sidc, window.devicePixelRatio || 1) : null;
  const icon = h('canvas', { class: 'detail-symbol' });
  if (sym) {
    icon.width = sym.canvas.width;
    icon.height = sym.canvas.height;
    icon.style.width = sym.w + 'px';
    icon.style.height = sym.h + 'px';
    icon.getContext('2d').drawImage(sym.canvas, 0, 0);
  } else {
    icon.hidden = true;
  }
  const row = (key, value) => [h('dt', { text: t(key) }), h('dd', { text: value ?? '—' })];
  panel.append(
    h('div', { class: 'detail-head' },
      icon,
      h('div', { class: 'detail-title' },
        h('div', { class: 'detail-callsign', 'data-testid': 'entity-callsign', text: rec.callsign }),
        rec.stale ? h('span', { class: 'stale-tag', text: t('detail.isStale') }) : null),
      h('button', { type: 'button', class: 'close', title: t('detail.close'), 'aria-label': t('detail.close'), text: '×', on: { click: () => select(null) } })),
    labelBadge(e.label, 'entity-label'),
    h('dl', {},
      row('detail.uid', e.uid),
      row('detail.type', e.type),
      row('detail.sidc', rec.sidc ?? '—'),
      row('detail.position', latLon(e.point.lat, e.point.lon)),
      row('detail.altitude', typeof e.point.hae === 'number' && e.point.hae < 9999999 ? `${Math.round(e.point.hae)} m` : '—'),
      row('detail.time', zulu(e.time, true)),
      row('detail.stale', zulu(e.stale, true)),
      row('detail.how', e.how),
      row('detail.sender', e.sender),
      row('detail.received', zulu(e.receivedAt, true))),
  );
}

// ───────────────────────── banners ─────────────────────────

let bannerShown = null;
function renderBanner() {
  const labels = [];
  for (const rec of displayed().values()) if (rec.event.label) labels.push(rec.event.label);
  for (const w of state.warnings.values()) if (w.label) labels.push(w.label);
  const top = highestLabel(labels, state.profile?.classifications ?? ['UNCLASSIFIED', 'CONFIDENTIAL', 'SECRET'], (state.profile?.nations ?? []).map((n) => n.code));
  const c = levelColor(top.classification);
  // Rendered many times a second: write only when the banner changed (any write costs a layout).
  const key = `${top.banner}|${top.classification}`;
  if (key === bannerShown) return;
  bannerShown = key;
  for (const id of ['#banner-top', '#banner-bottom']) {
    const el = $(id);
    setText(el, top.banner);
    el.dataset.level = String(top.classification).toUpperCase();
    el.style.background = c.background;
    el.style.color = c.color;
  }
}

// ───────────────────────── warnings ─────────────────────────

const detailTimers = new Map();
function refreshWarningDetail(id, delay = 300) {
  clearTimeout(detailTimers.get(id));
  detailTimers.set(id, setTimeout(async () => {
    detailTimers.delete(id);
    try {
      const d = normalizeWarningDetail(await api.warning(id));
      if (d) {
        state.details.set(id, d);
        const cur = state.warnings.get(id);
        if (!cur || d.version >= cur.version) state.warnings.set(id, { ...d, versions: undefined });
        touch('warnings', 'banner');
        mapView?.redraw();
      }
    } catch (err) {
      if (err instanceof Unauthorized) showSignIn(err.message);
    }
  }, delay));
}

function upsertWarning(received) {
  const w = normalizeWarning(received);
  if (!w || !w.id) return;
  const cur = state.warnings.get(w.id);
  if (cur && cur.version > w.version) return;
  state.warnings.set(w.id, w);
  touch('warnings', 'banner');
  mapView?.redraw();
  refreshWarningDetail(w.id);
}

async function acknowledge(w) {
  const key = `${w.id}#${w.version}`;
  state.ackErrors.delete(key);
  try {
    await api.ack(w.id, w.version);
    state.acked.add(key);
  } catch (err) {
    if (err instanceof Unauthorized) return showSignIn(err.message);
    state.ackErrors.set(key, err.message);
  }
  touch('warnings');
  refreshWarningDetail(w.id, 0);
}

function renderWarningsPanel() {
  renderWarnings($('#warning-list'), {
    warnings: [...state.warnings.values()],
    details: state.details,
    profile: state.profile,
    whoami: state.whoami,
    acked: state.acked,
    ackErrors: state.ackErrors,
    lang: state.lang,
    t,
    exerciseText: EXERCISE_TEXT,
    onAck: acknowledge,
    onLocate: (w) => {
      const p = w.predictedImpact ?? { lat: w.launchLat ?? w.launchPoint?.lat, lon: w.launchLon ?? w.launchPoint?.lon };
      if (typeof p.lat === 'number') mapView?.centerOn(p.lon, p.lat);
    },
    labelBadge,
  });
}

/** Receipts change without a new version (another headquarters acknowledges): refresh while any is outstanding. */
function receiptSweep() {
  for (const w of state.warnings.values()) {
    if (w.stage === 'Cancelled') continue;
    const d = state.details.get(w.id);
    const orgs = d ? receiptsByOrganization(d) : [];
    if (!d || orgs.length === 0 || orgs.some((o) => o.state !== 'acknowledged')) refreshWarningDetail(w.id, 0);
  }
}

// ───────────────────────── command tree ─────────────────────────

function renderTree() {
  if (!state.profile) return;
  const date = state.replay.active ? new Date(state.replay.t) : new Date();
  renderCommandTree($('#command-tree'), state.profile, { lang: state.lang, t, date, myOrganization: state.whoami?.organization });
  $('#tree-meta').textContent = `${state.profile.name ?? state.profile.id} ${state.profile.version ?? ''} · ${date.toISOString().slice(0, 10)}`;
}

// ───────────────────────── replay ─────────────────────────

function spanMs() {
  return Number($('#replay-span').value) * 3600 * 1000;
}

function syncSliderLive() {
  if (state.replay.active) return;
  const now = Date.now();
  const s = $('#time-slider');
  s.min = String(Math.floor((now - spanMs()) / 1000));
  s.max = String(Math.floor(now / 1000));
  s.value = s.max;
  $('#replay-time').textContent = zulu(now);
}

// The picture at the chosen time comes from the node (/api/events/state?at=T: each entity's
// newest event with a time at or before T that this identity may see, stale ones for an hour),
// so an entity silent for hours is there as it was. Moving the slider asks again, once it rests.
let loadTimer = null;
let loadSeq = 0;

async function enterReplay(atSeconds) {
  const r = state.replay;
  const now = Date.now();
  r.since = now - spanMs();
  r.until = now;
  const s = $('#time-slider');
  s.min = String(Math.floor(r.since / 1000));
  s.max = String(Math.ceil(now / 1000));
  s.value = String(atSeconds ?? Math.ceil(now / 1000));
  r.active = true;
  r.events = [];
  document.body.classList.add('replaying');
  $('#map-replay').hidden = false;
  renderReplayToggle();
  await loadAt(Number(s.value) * 1000);
}

async function loadAt(at) {
  const r = state.replay;
  const seq = ++loadSeq;
  r.loading = true;
  $('#replay-time').textContent = t('replay.loading');
  try {
    const events = await api.stateAt(at);
    // Only the answer for the latest request counts: the slider may have moved meanwhile.
    if (!r.active || seq !== loadSeq) return;
    r.events = Array.isArray(events) ? events : [];
    applyReplayTime(at);
  } catch (err) {
    if (err instanceof Unauthorized) showSignIn(err.message);
    else $('#replay-time').textContent = t('error.load', { what: '/api/events/state', error: err.message });
  } finally {
    if (seq === loadSeq) r.loading = false;
  }
}

function onSlider() {
  if (!state.replay.active) return enterReplay(Number($('#time-slider').value));
  $('#replay-time').textContent = zulu(Number($('#time-slider').value) * 1000, true);
  clearTimeout(loadTimer);
  loadTimer = setTimeout(() => loadAt(Number($('#time-slider').value) * 1000), 150);
}

function applyReplayTime(at) {
  const r = state.replay;
  r.t = at;
  // The node already chose each uid's event at that time; stateAt keeps the picture events.
  const snapshot = stateAt(r.events, Infinity);
  const records = new Map();
  for (const [uid, e] of snapshot) if (typeof e.point?.lat === 'number') records.set(uid, recordOf(e, r.t));
  r.records = records;
  $('#replay-time').textContent = zulu(r.t, true);
  $('#replay-time').title = t('replay.events', { n: r.events.length });
  resetList();
  touch('tree');
}

function exitReplay() {
  clearTimeout(loadTimer);
  const r = state.replay;
  r.active = false;
  r.events = [];
  r.records = new Map();
  document.body.classList.remove('replaying');
  $('#map-replay').hidden = true;
  syncSliderLive();
  resetList();
  renderReplayToggle();
  touch('tree');
}

function renderReplayToggle() {
  const b = $('#replay-toggle');
  const active = state.replay.active;
  b.textContent = active ? t('replay.replay') : t('replay.live');
  b.title = active ? t('replay.toLive') : t('replay.toReplay');
  b.setAttribute('aria-pressed', String(active));
  b.dataset.mode = active ? 'replay' : 'live';
}

// ───────────────────────── language ─────────────────────────

function setLanguage(lang) {
  state.lang = LANGUAGES.includes(lang) ? lang : 'en';
  document.documentElement.lang = state.lang;
  try { localStorage.setItem('kizuna.lang', state.lang); } catch { /* storage off */ }
  $('#language').value = state.lang;
  document.title = t('app.title');
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  for (const el of document.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of document.querySelectorAll('[data-i18n-aria]')) el.setAttribute('aria-label', t(el.dataset.i18nAria));
  for (const o of $('#replay-span').options) o.textContent = t('replay.hours', { n: o.value });
  renderConnection(connState, connRetry);
  renderWhoami();
  renderReplayToggle();
  if (!state.replay.active) syncSliderLive();
  else $('#replay-time').title = t('replay.events', { n: state.replay.events.length });
  touch('list', 'detail', 'warnings', 'tree');
  renderFederationPanel();
  renderDesks();
}

// ───────────────────────── federation (operators only) ─────────────────────────

const FEDERATION_POLL_MS = 5000;
let federationStatus = null;

function renderFederationPanel() {
  if (federationStatus) renderFederation($('#federation-body'), federationStatus, { t });
}

/** Polls api/federation; a 403 (not an operator of this node) hides the panel and ends the polling. */
async function pollFederation() {
  try {
    federationStatus = await api.federation();
    $('#federation-panel').hidden = false;
    renderFederationPanel();
  } catch (err) {
    if (err instanceof Forbidden || err instanceof Unauthorized) {
      $('#federation-panel').hidden = true;
      return;
    }
    console.error(err);
  }
  setTimeout(pollFederation, FEDERATION_POLL_MS);
}

// ───────────────────────── coordination queue and readiness board ─────────────────────────

const DESKS_POLL_MS = 5000;
let coordinationQueue = null;
let readinessRollUp = null;

function renderDesks() {
  const organization = state.whoami?.organization;
  if (coordinationQueue) {
    renderCoordination($('#coordination-body'), coordinationQueue, {
      t, organization, labelBadge,
      onAction: async (request, action) => {
        try { await api.coordinationAction(request.id, action); } catch (err) { console.error(err); }
        pollDesks(false);
      },
    });
  }
  if (readinessRollUp) renderReadiness($('#readiness-body'), readinessRollUp, { t, labelBadge });
}

/** Polls the signed-in organization's coordination queue and its chain's readiness. */
async function pollDesks(again = true) {
  const organization = state.whoami?.organization;
  if (organization) {
    const [queue, readiness] = await Promise.allSettled([api.coordination(organization), api.readiness(organization)]);
    if (queue.status === 'fulfilled') { coordinationQueue = queue.value; $('#coordination-panel').hidden = false; }
    if (readiness.status === 'fulfilled') { readinessRollUp = readiness.value; $('#readiness-board').hidden = false; }
    renderDesks();
  }
  if (again) setTimeout(pollDesks, DESKS_POLL_MS);
}

// ───────────────────────── identity, connection, sign-in ─────────────────────────

function renderWhoami() {
  const w = state.whoami;
  const el = $('#whoami');
  if (!w) {
    el.textContent = '';
    return;
  }
  const org = state.profile?.organizations?.find((o) => o.id === w.organization);
  const orgName = org?.names?.[state.lang] ?? w.organizationName ?? w.organization;
  el.replaceChildren(
    h('span', { class: 'who-name', text: w.name }),
    h('span', { class: 'who-org', text: `${orgName} (${w.organization})`, title: `${orgName} (${w.organization})` }),
    h('span', { class: 'who-clearance', text: `${w.nation} · ${w.clearance}` }),
  );
  el.title = `${t('whoami.signedInAs')} ${w.name} — ${w.role ?? ''}`;
}

let connState = 'connecting';
let connRetry = 0;
function renderConnection(s, retryMs) {
  connState = s;
  connRetry = retryMs ?? 0;
  const el = $('#connection-state');
  el.textContent = s; // a stable token for people and tests: live / connecting / offline
  el.dataset.state = s;
  el.title = s === 'offline' ? t('conn.offline', { s: Math.ceil(connRetry / 1000) }) : t(`conn.${s}`);
}

let signedOut = false;
function showSignIn(reason) {
  if (signedOut) return;
  signedOut = true;
  feed?.stop();
  $('#app').hidden = true;
  document.querySelector('.topbar .replay-controls').hidden = true;
  $('#signin').hidden = false;
  $('#signin-reason').textContent = reason || '';
  renderConnection('offline');
}

// ───────────────────────── start ─────────────────────────

let mapView = null;
let feed = null;

function onMessage(m) {
  switch (m.kind) {
    case 'hello':
      state.whoami = m.whoami ?? state.whoami;
      renderWhoami();
      break;
    case 'snapshot':
      replaceLive(m.events);
      touch('banner');
      mapView?.redraw();
      break;
    case 'event': {
      const e = m.event;
      if (!e) break;
      if (e.type === 't-x-d-d') {
        const link = /<link\b[^>]*\buid="([^"]+)"/.exec(e.detail ?? '');
        if (link) removeLive(link[1]);
      } else if (e.type === 'b-w-m-a') {
        for (const id of state.warnings.keys()) refreshWarningDetail(id, 500);
      } else {
        upsertLive(e);
      }
      break;
    }
    case 'warning':
      upsertWarning(m.warning);
      break;
    default:
      break; // pong, or a kind this console does not know yet
  }
}

async function start() {
  const stored = (() => { try { return localStorage.getItem('kizuna.lang'); } catch { return null; } })();
  setLanguage(stored && LANGUAGES.includes(stored) ? stored : pickLanguage(navigator.languages ?? [navigator.language]));

  $('#language').addEventListener('change', (e) => setLanguage(e.target.value));
  $('#entity-filter').addEventListener('input', applyFilter);
  $('#entity-list').addEventListener('click', (e) => {
    const li = e.target.closest('li[data-uid]');
    if (li) select(li.dataset.uid, true);
  });
  $('#entity-list').addEventListener('keydown', (e) => {
    const li = e.target.closest('li[data-uid]');
    if (li && (e.key === 'Enter' || e.key === ' ')) {
      e.preventDefault();
      select(li.dataset.uid, true);
    }
  });
  $('#replay-toggle').addEventListener('click', () => (state.replay.active ? exitReplay() : enterReplay()));
  $('#time-slider').addEventListener('input', onSlider);
  $('#replay-span').addEventListener('change', () => (state.replay.active ? enterReplay() : syncSliderLive()));
  $('#signin-retry').addEventListener('click', () => location.reload());
  $('#tree-toggle').addEventListener('click', () => {
    const dock = $('#tree-dock');
    const collapsed = dock.classList.toggle('collapsed');
    $('#tree-toggle').setAttribute('aria-expanded', String(!collapsed));
    $('#tree-toggle').textContent = collapsed ? '▸' : '▾';
  });
  setInterval(() => ($('#clock').textContent = zulu(Date.now(), true)), 1000);
  $('#clock').textContent = zulu(Date.now(), true);
  setInterval(syncSliderLive, 5000);
  setInterval(staleSweep, STALE_CHECK_MS);
  setInterval(receiptSweep, 15000);

  // Who am I? A 401 here means: not signed in.
  try {
    state.whoami = await api.whoami();
  } catch (err) {
    if (err instanceof Unauthorized) return showSignIn(err.message);
    console.error(err);
  }
  renderWhoami();

  mapView = new MapView($('#map'), {
    entities: () => displayed().values(),
    warnings: () => state.warnings.values(),
    onSelect: (uid) => select(uid),
    onPointer: (p) => ($('#map-pointer').textContent = p ? latLon(p[1], p[0]) : ''),
    exerciseText: EXERCISE_TEXT,
  });
  $('#zoom-in').addEventListener('click', () => mapView.zoomAt(1.6));
  $('#zoom-out').addEventListener('click', () => mapView.zoomAt(1 / 1.6));
  $('#zoom-reset').addEventListener('click', () => mapView.resetView());
  mapView.loadBasemap().then(
    () => ($('#map-status').hidden = true),
    (err) => ($('#map-status').textContent = t('error.load', { what: 'basemap', error: err.message })),
  );

  const [profile, warnings] = await Promise.allSettled([api.profile(), api.warnings()]);
  for (const r of [profile, warnings]) if (r.status === 'rejected' && r.reason instanceof Unauthorized) return showSignIn(r.reason.message);
  if (profile.status === 'fulfilled') state.profile = profile.value;
  if (warnings.status === 'fulfilled') for (const w of warnings.value ?? []) upsertWarning(w);
  renderWhoami();
  touch('tree', 'banner', 'warnings');

  feed = new LiveFeed({
    onMessage,
    onState: renderConnection,
    onClosedEarly: async () => {
      // A refused upgrade looks like any network error: ask the API whether we are still signed in.
      try { await api.whoami(); } catch (err) { if (err instanceof Unauthorized) showSignIn(err.message); }
    },
  });
  feed.start();
  pollFederation();
  pollDesks();
  setupPackagePanel($('#package-panel'), { whoami: state.whoami, profile: state.profile, t, post: api.connectionPackage });

  // For tests and the curious: counters, never data.
  window.kizunaConsole = { frames: () => mapView.frames, lastDrawMs: () => mapView.lastDrawMs, entities: () => displayed().size };
}

start();

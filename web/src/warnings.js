// The warnings panel: one card per current warning, with its stage, impact, version history,
// receipts per headquarters and the acknowledge button. An exercise is marked on the card
// with a hatched "EXERCISE 訓練 훈련" band (and on the map by map.js).
import { h, zulu, latLon } from './dom.js';

const STAGE_ORDER = ['TakeShelter', 'LandedInJapan', 'Overflight', 'Launch', 'LandedOutsideJapan', 'Cancelled'];
const openHistories = new Set();

/**
 * Receipts of the latest version grouped by headquarters (organization):
 * acknowledged (someone of it acknowledged) > delivered > pending; escalated when listed.
 */
export function receiptsByOrganization(detail) {
  const receipts = (detail?.receipts ?? []).filter((r) => r.version === undefined || r.version === detail.version);
  const orgs = new Map();
  for (const r of receipts) {
    const o = orgs.get(r.organization) ?? { organization: r.organization, nation: r.nation, state: 'pending', at: null, recipients: [], escalated: false };
    o.recipients.push(r.recipient);
    if (r.acknowledgedAt) {
      if (o.state !== 'acknowledged' || Date.parse(r.acknowledgedAt) < Date.parse(o.at)) o.at = r.acknowledgedAt;
      o.state = 'acknowledged';
    } else if (r.deliveredAt && o.state === 'pending') {
      o.state = 'delivered';
      o.at = r.deliveredAt;
    }
    orgs.set(r.organization, o);
  }
  for (const org of detail?.notAcknowledgedBy ?? []) {
    if (!orgs.has(org)) orgs.set(org, { organization: org, nation: null, state: 'delivered', at: null, recipients: [], escalated: false });
  }
  for (const org of detail?.escalatedFor ?? []) {
    const o = orgs.get(org) ?? { organization: org, nation: null, state: 'pending', at: null, recipients: [], escalated: false };
    o.escalated = true;
    orgs.set(org, o);
  }
  return [...orgs.values()].sort((a, b) => a.organization.localeCompare(b.organization));
}

function launchOf(w) {
  if (w.launchPoint) return w.launchPoint;
  if (typeof w.launchLat === 'number') return { lat: w.launchLat, lon: w.launchLon };
  return null;
}

function orgName(profile, id, lang) {
  const o = profile?.organizations?.find((x) => x.id === id);
  return o?.names?.[lang] ?? o?.name ?? id;
}

function impactText(impact, t) {
  if (!impact) return t('warnings.noImpact');
  const km = (m) => (m / 1000).toFixed(0);
  return `${latLon(impact.lat, impact.lon)} · ${km(impact.semiMajorMeters)}×${km(impact.semiMinorMeters)} km · ${Math.round(impact.orientationDegrees ?? 0)}°${impact.time ? ' · ' + zulu(impact.time) : ''}`;
}

function card(w, ctx) {
  const { t, details, profile, whoami, acked, ackErrors, lang } = ctx;
  const detail = details.get(w.id);
  const key = `${w.id}#${w.version}`;
  const cancelled = w.stage === 'Cancelled';
  const myAck = acked.has(key) || (detail?.version === w.version && (detail.receipts ?? []).some((r) => r.acknowledgedAt && whoami && r.recipient === whoami.name));

  const el = h('article', {
    class: `warning ${w.exercise ? 'exercise' : 'real'} stage-${w.stage}${cancelled ? ' cancelled' : ''}`,
    'data-testid': 'warning',
    dataset: { id: w.id, version: String(w.version), stage: w.stage },
  });
  if (w.exercise) el.append(h('div', { class: 'exercise-band', 'data-testid': 'warning-exercise', text: ctx.exerciseText }));

  const launch = launchOf(w);
  el.append(
    h('header', {},
      h('span', { class: 'warning-stage', 'data-testid': 'warning-stage', dataset: { stage: w.stage }, text: t(`stage.${w.stage}`) }),
      h('button', { type: 'button', class: 'warning-id', title: w.id, text: `${w.id} · v${w.version}`, on: { click: () => ctx.onLocate(w) } })),
    ctx.labelBadge(w.label, 'warning-label'),
    h('dl', { class: 'facts' },
      h('dt', { text: t('warnings.issued') }), h('dd', { text: zulu(w.issuedAt, true) }),
      h('dt', { text: t('warnings.launch') }), h('dd', { text: `${zulu(w.launchTime)}${launch ? ' · ' + latLon(launch.lat, launch.lon) : ''}` }),
      h('dt', { text: t('warnings.impact') }), h('dd', { text: impactText(w.predictedImpact, t) }),
      h('dt', { text: t('warnings.confidence') }), h('dd', { text: typeof w.confidence === 'number' ? `${Math.round(w.confidence * 100)} %` : '—' }),
      (w.affectedPrefectures ?? []).length ? [h('dt', { text: t('warnings.prefectures') }), h('dd', { text: w.affectedPrefectures.join(', ') })] : null,
      (w.sensors ?? []).length ? [h('dt', { text: t('warnings.sensors') }), h('dd', { text: w.sensors.join(', ') })] : null),
  );

  // receipts per headquarters
  const orgs = detail ? receiptsByOrganization(detail.version === w.version ? detail : { ...detail, receipts: [] }) : [];
  el.append(h('h3', { text: t('warnings.receipts') }));
  el.append(h('ul', { class: 'receipts', 'data-testid': 'warning-receipts' },
    orgs.length === 0
      ? h('li', { class: 'muted', text: t('warnings.noReceipts') })
      : orgs.map((o) => h('li', { class: `receipt ${o.state}${o.escalated ? ' escalated' : ''}`, dataset: { organization: o.organization, state: o.state }, title: o.recipients.join(', ') },
        h('span', { class: 'receipt-org', text: orgName(profile, o.organization, lang) }),
        h('span', { class: 'receipt-state', text: `${t(`warnings.${o.state}`)}${o.at ? ' ' + zulu(o.at) : ''}${o.escalated ? ' · ' + t('warnings.escalated') : ''}` })))));

  // receipts sent back by partner nodes (federation): their headquarters and that node's own warning of this launch
  const partner = receiptsByOrganization({ receipts: detail?.partnerReceipts ?? [] });
  if (partner.length) {
    el.append(h('h3', { text: t('warnings.partnerReceipts') }));
    el.append(h('ul', { class: 'receipts partner', 'data-testid': 'warning-partner-receipts' },
      partner.map((o) => h('li', { class: `receipt ${o.state}`, dataset: { organization: o.organization, state: o.state }, title: o.recipients.join(', ') },
        h('span', { class: 'receipt-org', text: orgName(profile, o.organization, lang) }),
        h('span', { class: 'receipt-state', text: `${t(`warnings.${o.state}`)}${o.at ? ' ' + zulu(o.at) : ''}` })))));
  }

  // version history
  const versions = detail?.versions ?? [w];
  const hist = h('details', { class: 'history', open: openHistories.has(w.id) },
    h('summary', { text: `${t('warnings.history')} (${versions.length})` }),
    h('ol', {}, [...versions].reverse().map((v) => h('li', {},
      h('span', { class: 'v', text: `v${v.version}` }),
      h('span', { text: ` ${zulu(v.issuedAt)} · ${t(`stage.${v.stage}`)} · ${impactText(v.predictedImpact, t)}` })))));
  hist.addEventListener('toggle', () => (hist.open ? openHistories.add(w.id) : openHistories.delete(w.id)));
  el.append(hist);

  const error = ackErrors.get(key);
  const button = h('button', {
    type: 'button',
    class: `ack${myAck ? ' done' : ''}`,
    'data-testid': 'warning-ack',
    disabled: myAck || cancelled,
    text: myAck ? `✓ ${t('warnings.acked')}` : t('warnings.ack'),
    on: { click: () => ctx.onAck(w) },
  });
  el.append(h('div', { class: 'ack-row' }, button, error ? h('span', { class: 'error', text: `${t('warnings.ackFailed')}: ${error}` }) : null));
  return el;
}

export function renderWarnings(container, ctx) {
  const list = [...ctx.warnings].sort((a, b) =>
    STAGE_ORDER.indexOf(a.stage) - STAGE_ORDER.indexOf(b.stage) || Date.parse(b.issuedAt) - Date.parse(a.issuedAt));
  container.replaceChildren(...(list.length ? list.map((w) => card(w, ctx)) : [h('p', { class: 'muted', text: ctx.t('warnings.none') })]));
}

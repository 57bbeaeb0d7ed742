// The coordination queue of the signed-in organization and the readiness board of its chain
// (api/coordination, api/readiness: docs/coordination.md, docs/readiness.md). Every item shows
// its label as a banner, like everything else the console shows.
import { h, zulu } from './dom.js';

/** A banner string as the label object the console's badges take. */
export function bannerLabel(banner) {
  return { banner, classification: String(banner ?? '').split('//')[0] };
}

/** What the signed-in organization may do to a request now (the desk decides again). */
export function actionsFor(request, organization) {
  const s = request.state;
  if (['declined', 'completed', 'withdrawn'].includes(s)) return [];
  const actions = [];
  if (request.to === organization) {
    if (s === 'sent' || s === 'received') actions.push('ack');
    if (['sent', 'received', 'acknowledged'].includes(s)) actions.push('accept');
    if (s === 'accepted') actions.push('complete');
  }
  if (request.from === organization && s === 'countered') actions.push('accept');
  if (request.from === organization) actions.push('withdraw');
  return actions;
}

/** Draws the coordination queue into `el`. */
export function renderCoordination(el, requests, { t, organization, labelBadge, onAction }) {
  el.replaceChildren();
  if (!requests?.length) {
    el.append(h('p', { class: 'desk-empty', text: t('coordination.none') }));
    return;
  }
  el.append(h('ul', { class: 'coordination-list' }, requests.map((r) => h('li', {
    class: `coordination-item priority-${r.priority} state-${r.state}`,
    dataset: { testid: 'coordination-item', id: r.id, state: r.state },
  },
  labelBadge(bannerLabel(r.label), 'coordination-label'),
  h('div', { class: 'coordination-head' },
    h('span', { class: 'coordination-priority', text: t(`coordination.priority.${r.priority}`) }),
    h('span', { class: 'coordination-pair', text: `${r.from} → ${r.to}` }),
    h('span', { class: 'coordination-state', dataset: { testid: 'coordination-state' }, text: t(`coordination.state.${r.state}`) })),
  h('div', { class: 'coordination-subject', text: r.subject }),
  h('div', { class: 'coordination-reply', text: t('coordination.replyBy', { time: zulu(r.replyBy, true) }) }),
  r.escalations?.length ? h('div', { class: 'coordination-escalated', dataset: { testid: 'coordination-escalated' }, text: t('coordination.escalated', { to: r.escalations.map((e) => e.superior).filter(Boolean).join(', ') }) }) : null,
  h('div', { class: 'coordination-actions' }, actionsFor(r, organization).map((a) => h('button', {
    type: 'button', dataset: { testid: `coordination-${a}` }, text: t(`coordination.action.${a}`), on: { click: () => onAction(r, a) },
  })))))));
}

/** Draws the readiness board (the organization, its chain below it, the summary) into `el`. */
export function renderReadiness(el, rollUp, { t, labelBadge }) {
  el.replaceChildren();
  const rows = [rollUp?.report, ...(rollUp?.subordinates ?? [])].filter(Boolean);
  if (rows.length === 0) {
    el.append(h('p', { class: 'desk-empty', text: t('readiness.none') }));
    return;
  }
  const s = rollUp.summary;
  el.append(h('p', { class: 'readiness-summary', dataset: { testid: 'readiness-summary', worst: s.worst ?? '' } },
    t('readiness.summary', { worst: t(`readiness.level.${s.worst}`), reports: s.reports, stale: s.stale })));
  el.append(h('ul', { class: 'readiness-rows' }, rows.map((r) => h('li', {
    class: `readiness-row level-${r.level}${r.stale ? ' stale' : ''}`,
    dataset: { testid: 'readiness-row', org: r.org, level: r.level, stale: String(r.stale) },
  },
  h('span', { class: 'readiness-org', text: r.org }),
  h('span', { class: 'readiness-level', text: t(`readiness.level.${r.level}`) }),
  r.stale ? h('span', { class: 'readiness-stale', text: t('readiness.stale') }) : null,
  r.detailWithheld ? h('span', { class: 'readiness-withheld', text: t('readiness.withheld') }) : null,
  labelBadge(bannerLabel(r.label), 'readiness-label')))));
}

// The "Federation" panel: this node's partner links and their lag, for the node's operators
// (GET api/federation answers 403 to everyone else, and the panel stays hidden).
import { h } from './dom.js';

/** Lag in seconds as a short text: "0 s", "4.2 s", "3 min", "2 h". */
export function formatLag(seconds) {
  const s = Number(seconds) || 0;
  if (s < 10) return `${s.toFixed(s === 0 ? 0 : 1)} s`;
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

/** How far behind a link is: `ok` caught up, `behind` lagging, `down` not linked. */
export function linkHealth(link) {
  if (link.state !== 'up') return 'down';
  return (link.lagEvents ?? 0) > 0 || (link.lagSeconds ?? 0) >= 5 ? 'behind' : 'ok';
}

/** The answer of api/federation as rows, by partner organization. */
export function linkRows(status) {
  return [...(status?.links ?? [])]
    .sort((a, b) => String(a.partnerOrganization).localeCompare(String(b.partnerOrganization)) || String(a.partnerNodeId).localeCompare(String(b.partnerNodeId)))
    .map((l) => ({
      organization: l.partnerOrganization,
      nodeId: l.partnerNodeId,
      state: l.state,
      health: linkHealth(l),
      lagEvents: l.lagEvents ?? 0,
      lag: formatLag(l.lagSeconds),
      outbox: l.outboxDepth ?? 0,
      withheld: l.withheld ?? 0,
      expired: l.expired ?? 0,
    }));
}

/** Draws the panel's body into `el`. */
export function renderFederation(el, status, { t }) {
  el.replaceChildren();
  if (!status?.enabled) {
    el.append(h('p', { class: 'federation-empty', text: t('federation.off') }));
    return;
  }
  const rows = linkRows(status);
  if (rows.length === 0) {
    el.append(h('p', { class: 'federation-empty', text: t('federation.none') }));
    return;
  }
  el.append(h('ul', { class: 'federation-links' }, rows.map((r) => h('li', { class: `federation-link ${r.health}`, dataset: { testid: 'federation-link', state: r.state }, title: r.nodeId },
    h('span', { class: 'federation-org', text: r.organization }),
    h('span', { class: 'federation-state', text: t(`federation.state.${r.state === 'up' || r.state === 'connecting' ? r.state : 'down'}`) }),
    h('span', { class: 'federation-lag', text: t('federation.lag', { events: r.lagEvents, time: r.lag }) }),
    r.withheld || r.expired ? h('span', { class: 'federation-counts', text: t('federation.counts', { withheld: r.withheld, expired: r.expired }) }) : null,
  ))));
}

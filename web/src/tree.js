// The command structure from the alliance profile: one column per nation (its national
// chain as a tree), combined commands once above them, counterparts and cross-chain
// relationships listed below.
import { h } from './dom.js';

/** Kinds that make a chain of command; the first that applies places an organization in the tree. */
export const CHAIN_KINDS = ['COCOM', 'OPCON', 'TACON', 'ADCON'];

function inForce(rel, day) {
  return (!rel.from || rel.from <= day) && (!rel.until || day < rel.until);
}

function nationsOf(org) {
  return org.nations ?? (org.nation ? [org.nation] : []);
}

/**
 * The tree layout (pure): for each nation, its roots and each organization's children along the
 * chain-of-command relationship in force on `day` (YYYY-MM-DD); combined commands apart; the
 * relationships not used as tree edges listed as links.
 */
export function commandLayout(profile, day) {
  const orgs = profile.organizations ?? [];
  const byId = new Map(orgs.map((o) => [o.id, o]));
  const column = (o) => (nationsOf(o).length === 1 ? nationsOf(o)[0] : null);
  const rels = (profile.relationships ?? []).filter((r) => inForce(r, day) && byId.has(r.superior) && byId.has(r.subordinate));

  const parent = new Map(); // subordinate → relationship
  for (const kind of CHAIN_KINDS) {
    for (const r of rels) {
      if (r.kind !== kind || parent.has(r.subordinate)) continue;
      const sup = byId.get(r.superior);
      const sub = byId.get(r.subordinate);
      if (column(sup) && column(sup) === column(sub)) parent.set(r.subordinate, r);
    }
  }
  const children = new Map();
  for (const [sub, r] of parent) {
    if (!children.has(r.superior)) children.set(r.superior, []);
    children.get(r.superior).push({ id: sub, kind: r.kind });
  }
  const nations = (profile.nations ?? []).map((n) => ({
    code: n.code,
    name: n.name,
    roots: orgs.filter((o) => column(o) === n.code && !parent.has(o.id)).map((o) => o.id),
  }));
  const combined = orgs.filter((o) => nationsOf(o).length > 1).map((o) => o.id);
  const used = new Set([...parent.values()]);
  const links = rels.filter((r) => !used.has(r) && !(CHAIN_KINDS.includes(r.kind) && parent.get(r.subordinate)?.superior === r.superior));
  return { nations, combined, children, links, counterparts: profile.counterparts ?? [] };
}

export function renderCommandTree(container, profile, { lang, t, date, myOrganization }) {
  const day = date.toISOString().slice(0, 10);
  const layout = commandLayout(profile, day);
  const byId = new Map((profile.organizations ?? []).map((o) => [o.id, o]));
  const name = (id) => byId.get(id)?.names?.[lang] ?? byId.get(id)?.name ?? id;
  const counterpartsOf = (id) => layout.counterparts.filter((c) => c.a === id || c.b === id).map((c) => (c.a === id ? c.b : c.a));

  const node = (id, kind, depth) => {
    const o = byId.get(id);
    const cps = counterpartsOf(id);
    const el = h('div', {
      class: `org kind-${o?.kind ?? 'unknown'}${id === myOrganization ? ' mine' : ''}`,
      'data-testid': 'org',
      dataset: { id },
      title: `${o?.name ?? id} · ${o?.kind ?? ''} · ${o?.defaultClassification ?? ''}`,
    },
    h('span', { class: 'org-name', text: name(id) }),
    h('span', { class: 'org-id', text: id }),
    kind ? h('span', { class: `rel rel-${kind}`, text: kind }) : null,
    cps.map((c) => h('span', { class: 'counterpart', dataset: { counterpart: c }, text: `↔ ${c}` })));
    const kids = layout.children.get(id) ?? [];
    if (kids.length === 0 || depth > 12) return h('li', {}, el);
    return h('li', {}, el, h('ul', {}, kids.map((k) => node(k.id, k.kind, depth + 1))));
  };

  const columns = layout.nations.map((n) => h('div', { class: 'nation-col', dataset: { nation: n.code } },
    h('h3', { text: `${n.code} · ${n.name}` }),
    h('ul', { class: 'tree' }, n.roots.map((id) => node(id, null, 0)))));

  const combined = layout.combined.length
    ? h('div', { class: 'combined' },
      h('h3', { text: t('tree.combined') }),
      h('ul', { class: 'tree' }, layout.combined.map((id) => node(id, null, 0))))
    : null;

  const links = h('div', { class: 'links' },
    h('h3', { text: t('tree.counterparts') }),
    h('ul', {}, layout.counterparts.map((c) => h('li', { class: 'cp-link', dataset: { a: c.a, b: c.b }, title: c.note ?? '' },
      h('b', { text: name(c.a) }), ' ↔ ', h('b', { text: name(c.b) })))),
    h('h3', { text: t('tree.links') }),
    h('ul', {}, layout.links.map((r) => h('li', { title: r.note ?? '' },
      h('span', { text: name(r.superior) }), h('span', { class: `rel rel-${r.kind}`, text: ` ${r.kind} ` }), '→ ', h('span', { text: name(r.subordinate) })))));

  container.replaceChildren(h('div', { class: 'tree-grid' }, combined, h('div', { class: 'nations' }, columns), links));

  // Hovering an organization lights up its counterparts in the other chain.
  container.onmouseover = (e) => {
    const org = e.target.closest?.('.org');
    for (const el of container.querySelectorAll('.org.linked')) el.classList.remove('linked');
    if (!org) return;
    for (const c of counterpartsOf(org.dataset.id)) {
      for (const el of container.querySelectorAll(`.org[data-id="${CSS.escape(c)}"]`)) el.classList.add('linked');
    }
  };
}

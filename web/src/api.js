// The HTTP API (same origin, relative URLs). A 401 anywhere means "not signed in".

export class Unauthorized extends Error {
  constructor(message) {
    super(message || 'unauthorized');
    this.name = 'Unauthorized';
  }
}

/** A 403: the caller is signed in but may not read this (api/federation is for the node's operators). */
export class Forbidden extends Error {
  constructor(message) {
    super(message);
    this.name = 'Forbidden';
  }
}

async function request(path, options = {}) {
  const res = await fetch(path, { credentials: 'same-origin', headers: { Accept: 'application/json', ...(options.headers ?? {}) }, ...options });
  if (res.status === 401) {
    let reason = '';
    try { reason = (await res.json()).error ?? ''; } catch { /* not JSON */ }
    throw new Unauthorized(reason);
  }
  if (!res.ok) {
    let reason = res.statusText;
    try { reason = (await res.json()).error ?? reason; } catch { /* not JSON */ }
    if (res.status === 403) throw new Forbidden(`${res.status} ${reason}`);
    throw new Error(`${res.status} ${reason}`);
  }
  if (res.status === 204) return null;
  return res.json();
}

export const api = {
  whoami: () => request('api/whoami'),
  profile: () => request('api/profile'),
  federation: () => request('api/federation'),
  /** The raw response (a zip, or the reason it was refused): the package panel reads it. */
  connectionPackage: (body) => fetch('api/connection-packages', { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json', Accept: 'application/zip, application/json' }, body: JSON.stringify(body) }),
  warnings: () => request('api/warnings'),
  warning: (id) => request('api/warnings/' + encodeURIComponent(id)),
  latest: () => request('api/events/latest'),
  stateAt: (at) => request(`api/events/state?at=${encodeURIComponent(new Date(at).toISOString())}`),
  events: (since, until, limit = 10000) => request(`api/events?since=${encodeURIComponent(new Date(since).toISOString())}&until=${encodeURIComponent(new Date(until).toISOString())}&limit=${limit}`),
  ack: (id, version) => request('api/warnings/' + encodeURIComponent(id) + '/ack', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ version }),
  }),
  coordination: (org) => request('api/coordination?org=' + encodeURIComponent(org)),
  coordinationAction: (id, action) => request('api/coordination/' + encodeURIComponent(id) + '/' + action, { method: 'POST' }),
  readiness: (org) => request('api/readiness?org=' + encodeURIComponent(org)),
  signOut: () => fetch('console/sign-out', { method: 'POST', credentials: 'same-origin' }),
};

// The node writes a warning's stage as in CoT (`launch`, `take-shelter`, ...: WarningCot.StageName);
// the console's keys are the contract's names (`Launch`, `TakeShelter`, ...). Either is accepted.
const STAGES = ['Launch', 'TakeShelter', 'Overflight', 'LandedInJapan', 'LandedOutsideJapan', 'Cancelled'];
const STAGE_BY_KEY = new Map(STAGES.map((s) => [s.toLowerCase(), s]));

/** `take-shelter`, `TakeShelter` or `takeShelter` → `TakeShelter`; an unknown stage is left as it is. */
export function stageName(stage) {
  return STAGE_BY_KEY.get(String(stage ?? '').replace(/[-_]/g, '').toLowerCase()) ?? stage;
}

/** A warning with its stage in the contract's names. */
export function normalizeWarning(w) {
  return w && typeof w === 'object' && 'stage' in w ? { ...w, stage: stageName(w.stage) } : w;
}

/**
 * The warning detail as one object whatever the server's shape: the contract's
 * `{...latest, versions:[...]}`, or a list of versions (each with its receipts).
 */
export function normalizeWarningDetail(body) {
  if (Array.isArray(body)) {
    const versions = body.map(normalizeWarning).sort((a, b) => a.version - b.version);
    const latest = versions[versions.length - 1];
    return latest ? { ...latest, versions } : null;
  }
  if (body && typeof body === 'object') {
    const latest = normalizeWarning(body);
    const versions = Array.isArray(body.versions) && body.versions.length ? body.versions.map(normalizeWarning).sort((a, b) => a.version - b.version) : [latest];
    return { ...latest, versions };
  }
  return null;
}

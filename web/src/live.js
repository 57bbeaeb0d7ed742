// The live feed: WebSocket /api/console/live, reconnecting with exponential backoff.

/** Backoff before attempt n (0-based): 0.5 s doubling to 30 s, ±20 % jitter. */
export function backoffMs(attempt, random = Math.random) {
  const base = Math.min(30000, 500 * 2 ** attempt);
  return Math.round(base * (0.8 + 0.4 * random()));
}

export class LiveFeed {
  /**
   * @param {{onMessage:(m:object)=>void, onState:(state:'connecting'|'live'|'offline', retryInMs?:number)=>void, onClosedEarly?:()=>void}} handlers
   */
  constructor(handlers) {
    this.handlers = handlers;
    this.attempt = 0;
    this.ws = null;
    this.stopped = false;
    this.timer = null;
    this.ping = null;
  }

  url() {
    const u = new URL('api/console/live', document.baseURI);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    return u.href;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.ping);
    this.ws?.close(1000, 'bye');
  }

  connect() {
    clearTimeout(this.timer);
    this.handlers.onState('connecting');
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    let opened = false;
    ws.addEventListener('open', () => {
      opened = true;
      this.attempt = 0;
      this.handlers.onState('live');
      clearInterval(this.ping);
      // Keep intermediaries from idling the socket out; well under the server's rate limit.
      this.ping = setInterval(() => {
        if (ws.readyState === WebSocket.OPEN) ws.send('{"kind":"ping"}');
      }, 25000);
    });
    ws.addEventListener('message', (e) => {
      if (typeof e.data !== 'string') return;
      let m;
      try {
        m = JSON.parse(e.data);
      } catch {
        return;
      }
      if (m && typeof m.kind === 'string') this.handlers.onMessage(m);
    });
    ws.addEventListener('close', () => {
      clearInterval(this.ping);
      if (this.ws !== ws) return;
      this.ws = null;
      if (!opened) this.handlers.onClosedEarly?.();
      if (!this.stopped) this.retry();
    });
  }

  retry() {
    const wait = backoffMs(this.attempt++);
    this.handlers.onState('offline', wait);
    this.timer = setTimeout(() => this.connect(), wait);
  }
}

// A headless Chromium driven over the DevTools protocol, with no Playwright: for the dev smoke
// check and the console's frame benchmark (bench/console). Needs Node's WebSocket
// (node --experimental-websocket on Node 20).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts Chromium and connects to its first page; returns { send, js, waitFor, on, close }.
 * `on(method, handler)` receives the protocol's events (e.g. Page.javascriptDialogOpening).
 */
export async function launch({ port = 9333, width = 1600, height = 1000, lang = 'en' } = {}) {
  const profileDir = mkdtempSync(join(tmpdir(), 'kizuna-cdp-'));
  const chrome = spawn(process.env.CHROMIUM ?? 'chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars',
    `--remote-debugging-port=${port}`, `--user-data-dir=${profileDir}`, `--window-size=${width},${height}`, `--accept-lang=${lang}`, 'about:blank'],
  { stdio: 'ignore' });

  let url;
  for (let i = 0; i < 100 && !url; i++) {
    try {
      const pages = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
      url = pages.find((p) => p.type === 'page')?.webSocketDebuggerUrl;
    } catch { /* not up yet */ }
    if (!url) await sleep(200);
  }
  if (!url) {
    chrome.kill('SIGKILL');
    throw new Error('chromium did not start (set CHROMIUM to its path)');
  }

  const ws = new WebSocket(url);
  await new Promise((r) => ws.addEventListener('open', r));
  let id = 0;
  const pending = new Map();
  const handlers = new Map();
  ws.addEventListener('message', (e) => {
    const m = JSON.parse(e.data);
    if (m.id && pending.has(m.id)) {
      pending.get(m.id)(m);
      pending.delete(m.id);
    } else if (m.method) {
      handlers.get(m.method)?.(m.params);
    }
  });
  const send = (method, params = {}) => new Promise((resolve) => {
    const n = ++id;
    pending.set(n, resolve);
    ws.send(JSON.stringify({ id: n, method, params }));
  });
  const js = async (expression) => {
    const r = await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    if (r.result?.exceptionDetails) throw new Error(r.result.exceptionDetails.exception?.description ?? 'evaluation failed');
    return r.result?.result?.value;
  };
  const waitFor = async (expression, ms = 15000) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await js(expression).catch(() => false)) return true;
      await sleep(150);
    }
    return false;
  };
  const close = () => {
    ws.close();
    chrome.kill('SIGKILL');
    try {
      rmSync(profileDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    } catch { /* Chromium may still be writing its profile as it dies: a temp directory is left */ }
  };
  await send('Page.enable');
  await send('Runtime.enable');
  const on = (method, handler) => handlers.set(method, handler);
  return { send, js, waitFor, on, close };
}

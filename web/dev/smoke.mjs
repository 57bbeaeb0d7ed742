#!/usr/bin/env node
// A smoke check of the built console in headless Chromium over the DevTools protocol (no
// Playwright needed): run the mock server first (`npm run dev`), then
//   node --experimental-websocket dev/smoke.mjs [--url http://127.0.0.1:8090] [--shots /tmp]
// It signs in, looks at every DOM hook of the contract, acknowledges a warning, switches
// language, replays history, checks the sign-in help without a cookie, and saves screenshots.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from './cdp.mjs';

const args = process.argv.slice(2);
const opt = (n, d) => (args.includes('--' + n) ? args[args.indexOf('--' + n) + 1] : d);
const BASE = opt('url', 'http://127.0.0.1:8090');
const SHOTS = opt('shots', '/tmp');

let failures = 0;
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
};

const browser = await launch({ port: 9333 });
const { send, js } = browser;
const waitFor = (expression, ms = 8000) => browser.waitFor(expression, ms);
const dialogs = [];
browser.on('Page.javascriptDialogOpening', (params) => {
  dialogs.push(params.message);
  send('Page.handleJavaScriptDialog', { accept: true });
});
async function shot(name) {
  const r = await send('Page.captureScreenshot', { format: 'png' });
  writeFileSync(join(SHOTS, `kizuna-${name}.png`), Buffer.from(r.result.data, 'base64'));
  console.log(`     screenshot ${join(SHOTS, `kizuna-${name}.png`)}`);
}
const tid = (t) => `document.querySelector('[data-testid="${t}"]')`;

try {
  // not signed in: the help screen
  await send('Page.navigate', { url: BASE + '/' });
  check(await waitFor(`!document.getElementById('signin').hidden`), 'without a session the sign-in help is shown');
  check((await js(`document.getElementById('signin').textContent`)).includes('console-token'), 'the help names ./kizuna console-token');
  await shot('signin');

  // sign in
  await send('Page.navigate', { url: BASE + '/console/sign-in?token=mock' });
  check(await waitFor(`${tid('connection-state')}?.textContent === 'live'`), 'connection-state is live');
  check(await waitFor(`document.querySelectorAll('[data-testid="entity"]').length > 10`), 'entities are listed');
  check(await waitFor(`${tid('banner-top')}.textContent.startsWith('SECRET')`), 'banner-top shows the highest label');
  check(await js(`${tid('banner-top')}.textContent === ${tid('banner-bottom')}.textContent`), 'banners agree');
  check(await js(`${tid('whoami')}.textContent.includes('jjoc-j3') && ${tid('whoami')}.textContent.includes('JJOC')`), 'whoami shows name and organization');
  check(await js(`[...document.querySelectorAll('[data-testid="entity"]')].some(li => li.textContent === '<img src=x onerror=alert(1)>')`), 'the XSS callsign is shown as text');
  check(await js(`document.querySelectorAll('[data-testid="entity-list"] img').length === 0`), 'no markup from callsigns');
  check(await js(`window.kizunaConsole.frames() > 0`), 'the map drew frames');

  const uid = await js(`document.querySelector('[data-testid="entity"]').dataset.uid`);
  await js(`document.querySelector('[data-testid="entity"]').click()`);
  check(await waitFor(`${tid('entity-detail')}.querySelector('[data-testid="entity-label"]')?.textContent.includes('REL TO')`), `detail of ${uid} shows its label`);

  // warnings
  check(await waitFor(`document.querySelectorAll('[data-testid="warning"]').length === 2`), 'two warnings (the one not releasable to JPN is absent)');
  check(await js(`!document.querySelector('[data-testid="warning"][data-id="W-KOR-ONLY"]')`), 'W-KOR-ONLY never appears');
  check(await js(`document.querySelector('[data-testid="warning"][data-id^="EX-"] [data-testid="warning-exercise"]')?.textContent.includes('EXERCISE')`), 'the exercise is marked');
  check(await js(`!document.querySelector('[data-testid="warning"][data-id^="W-"] [data-testid="warning-exercise"]')`), 'the real warning is not');
  check(await waitFor(`document.querySelector('[data-testid="warning"][data-id^="W-"] [data-testid="warning-receipts"] [data-organization="USFJ"]')?.dataset.state === 'acknowledged'`), 'receipts per headquarters');
  await shot('live');
  await js(`document.querySelector('[data-testid="warning"][data-id^="W-"] [data-testid="warning-ack"]').click()`);
  check(await waitFor(`document.querySelector('[data-testid="warning"][data-id^="W-"] [data-testid="warning-ack"]').disabled`), 'acknowledged');
  check(await waitFor(`document.querySelector('[data-testid="warning"][data-id^="W-"] [data-testid="warning-receipts"] [data-organization="JJOC"]')?.dataset.state === 'acknowledged'`), 'JJOC shows acknowledged');

  // command tree
  const orgs = await js(`fetch('api/profile').then((r) => r.json()).then((p) => p.organizations.map((o) => o.id).sort().join())`);
  check(await js(`[...document.querySelectorAll('[data-testid="command-tree"] [data-testid="org"]')].map((o) => o.dataset.id).sort().join()`) === orgs, 'every organization in the tree once');

  // language
  for (const lang of ['ja', 'ko', 'en']) {
    await js(`(() => { const s = ${tid('language')}; s.value = '${lang}'; s.dispatchEvent(new Event('change')); })()`);
    check(await waitFor(`document.documentElement.lang === '${lang}'`), `language ${lang}`);
    if (lang !== 'en') await shot(lang);
  }

  // replay
  const live = await js(`document.querySelectorAll('[data-testid="entity"]').length`);
  await js(`${tid('replay-toggle')}.click()`);
  check(await waitFor(`document.body.classList.contains('replaying')`), 'replay mode');
  await js(`(() => { const s = ${tid('time-slider')}; s.value = String(Number(s.max) - 3000); s.dispatchEvent(new Event('input')); })()`);
  await waitFor(`(() => { const n = document.querySelectorAll('[data-testid="entity"]').length; return n > 0 && n < ${live}; })()`);
  const past = await js(`document.querySelectorAll('[data-testid="entity"]').length`);
  check(past > 0 && past < live, `replay 50 min ago shows the state then (${past} entities, live ${live})`);
  await shot('replay');
  await js(`${tid('replay-toggle')}.click()`);
  check(await waitFor(`!document.body.classList.contains('replaying') && document.querySelectorAll('[data-testid="entity"]').length >= ${live}`, 4000), 'back to live');
  check(dialogs.length === 0, 'no script ran from event text (no dialogs)');
} catch (err) {
  console.error(err);
  failures++;
} finally {
  browser.close();
}
console.log(failures ? `${failures} failed` : 'all passed');
process.exit(failures ? 1 : 0);

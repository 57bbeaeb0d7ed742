#!/usr/bin/env node
// The console's map under load, in headless Chromium (no GPU): for each entity count, the mock
// node (web/dev/mock-server.mjs) serves that many live entities moving at --rate per second over
// the WebSocket (in batches every --tick ms: the node forwards moves as they come, so the
// default is a batch per 20 ms rather than bursts); the page records the time of every map draw (window.kizunaConsole.lastDrawMs)
// and the interval between frames that drew, for --duration seconds after --warmup.
// Prints one Markdown table. Usage (bench/console.sh builds web/ first):
//   node --experimental-websocket bench/console/frames.mjs [--counts 1000,5000] [--rate 1000] [--tick 20] [--duration 10] [--warmup 3]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { launch } from '../../web/dev/cdp.mjs';

const args = process.argv.slice(2);
const opt = (n, d) => (args.includes('--' + n) ? args[args.indexOf('--' + n) + 1] : d);
const counts = opt('counts', '1000,5000').split(',').map(Number);
const rate = Number(opt('rate', '1000'));
const tick = Number(opt('tick', '20'));
const duration = Number(opt('duration', '10'));
const warmup = Number(opt('warmup', '3'));
const web = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted, p) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function run(count, port) {
  const mock = spawn(process.execPath, [join(web, 'dev', 'mock-server.mjs'), '--port', String(port), '--entities', String(count), '--rate', String(rate), '--tick', String(tick), '--noauth'],
    { cwd: web, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    mock.stdout.on('data', (d) => { if (String(d).includes('mock Kizuna console')) resolve(); });
    mock.on('exit', (code) => reject(new Error(`mock server exited with ${code}`)));
  });
  const browser = await launch({ port: port + 1 });
  try {
    await browser.send('Page.navigate', { url: `http://127.0.0.1:${port}/` });
    if (!(await browser.waitFor(`window.kizunaConsole && window.kizunaConsole.entities() >= ${Math.floor(count * 0.9)}`, 30000))) {
      throw new Error(`the console did not show ${count} entities`);
    }
    await sleep(warmup * 1000);
    await browser.js(`(() => {
      const c = window.kizunaConsole; window.__draws = []; window.__gaps = [];
      let seen = c.frames(), last = performance.now();
      const tick = (t) => { const f = c.frames(); if (f !== seen) { window.__draws.push(c.lastDrawMs()); window.__gaps.push(t - last); last = t; seen = f; } requestAnimationFrame(tick); };
      requestAnimationFrame(tick);
    })()`);
    await sleep(duration * 1000);
    const { draws, gaps, shown } = await browser.js(`({ draws: window.__draws, gaps: window.__gaps, shown: window.kizunaConsole.entities() })`);
    const d = [...draws].sort((a, b) => a - b);
    const g = [...gaps].sort((a, b) => a - b);
    return { count, shown, frames: draws.length, fps: draws.length / duration, drawP50: percentile(d, 0.5), drawP99: percentile(d, 0.99), gapP50: percentile(g, 0.5), gapP99: percentile(g, 0.99) };
  } finally {
    browser.close();
    mock.kill();
  }
}

const rows = [];
let port = 18190;
for (const count of counts) {
  rows.push(await run(count, port));
  port += 10;
}
const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
console.log(`Console map, headless Chromium without GPU, ${rate} moves/s over the WebSocket (a batch every ${tick} ms), ${duration} s measured after ${warmup} s:\n`);
console.log('| Entities | Shown | Map draws | Draws/s | Draw p50 ms | Draw p99 ms | Between draws p50 ms | p99 ms |');
console.log('|--:|--:|--:|--:|--:|--:|--:|--:|');
for (const r of rows) {
  console.log(`| ${r.count} | ${r.shown} | ${r.frames} | ${f(r.fps)} | ${f(r.drawP50)} | ${f(r.drawP99)} | ${f(r.gapP50)} | ${f(r.gapP99)} |`);
}

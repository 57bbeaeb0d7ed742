#!/usr/bin/env node
// A real TAK client (@tak-ps/node-tak) for the Kizuna interop tests.
//
// Connects over TLS with a client certificate, optionally sends CoT events built with
// @tak-ps/node-cot, and prints one JSON object per line on stdout for the C# side:
//
//   {"event":"connected","authorized":bool,"authorizationError":string|null,"protocol":"TLSv1.3"}
//   {"event":"pong"}                 a t-x-c-t-r answered one of node-tak's pings
//   {"event":"ready"}                the first pong: the server has accepted this client
//   {"event":"control","type":...}   a t-x-takp-* event (node-tak hands these on as CoT)
//   {"event":"sent","uid":...,"seq":n}
//   {"event":"cot","uid","type","how","callsign","remarks","lat","lon","xml"}
//   {"event":"error","message","code"}
//   {"event":"closed"}
//   {"event":"done","received":n,"serverVersion":..}  expectations met; exit code 0;
//                                    serverVersion is what node-tak read from t-x-takp-v
//   {"event":"timeout",...}          the hard timeout struck; exit code 2
//
// Exit codes: 0 expectations met, 1 bad arguments or crash, 2 timeout, 3 closed early.
// With --expect-refusal the meanings flip: 0 when the server closed the connection or
// the handshake failed before any pong or CoT arrived, 3 when the server accepted us.
//
// Options:
//   --host H --port P --cert FILE --key FILE [--ca FILE] [--verify-server]
//   --uid UID --callsign CS [--type a-f-G-U-C] [--remarks TEXT] [--send N]
//   [--send-on ready|stdin]   send after the first pong (default), or when stdin says "send"
//   [--expect-count N]        stop after N CoT events (t-x-takp-* and pings not counted)
//   [--expect-uid UID]...     count only events with these uids (repeatable)
//   [--expect-refusal]        see above
//   [--timeout-ms MS]         hard timeout, default 30000

import fs from 'node:fs';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import TAK from '@tak-ps/node-tak';
import CoT, { CoTParser } from '@tak-ps/node-cot';

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

let options;
try {
  ({ values: options } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      ca: { type: 'string' },
      'verify-server': { type: 'boolean', default: false },
      uid: { type: 'string', default: `node-tak-${process.pid}` },
      callsign: { type: 'string', default: `NODE-TAK-${process.pid}` },
      type: { type: 'string', default: 'a-f-G-U-C' },
      remarks: { type: 'string' },
      send: { type: 'string', default: '0' },
      'send-on': { type: 'string', default: 'ready' },
      'expect-count': { type: 'string', default: '0' },
      'expect-uid': { type: 'string', multiple: true, default: [] },
      'expect-refusal': { type: 'boolean', default: false },
      'timeout-ms': { type: 'string', default: '30000' },
    },
    strict: true,
  }));
  for (const required of ['port', 'cert', 'key']) {
    if (!options[required]) throw new Error(`--${required} is required`);
  }
  if (!['ready', 'stdin'].includes(options['send-on'])) {
    throw new Error('--send-on must be ready or stdin');
  }
} catch (err) {
  process.stderr.write(`tak-client: ${err.message}\n`);
  process.exit(1);
}

const sendCount = Number.parseInt(options.send, 10);
const expectCount = Number.parseInt(options['expect-count'], 10);
const expectUids = new Set(options['expect-uid']);
const expectRefusal = options['expect-refusal'];
const timeoutMs = Number.parseInt(options['timeout-ms'], 10);

let tak;
let finished = false;
let accepted = false;
let received = 0;
let sent = false;

function finish(code, line) {
  if (finished) return;
  finished = true;
  if (line) emit(line);
  clearTimeout(timer);
  const exit = () => process.exit(code);
  if (!tak || !tak.client || tak.destroyed) {
    exit();
    return;
  }
  // Let queued writes reach the socket, then close politely; bounded either way.
  const bound = setTimeout(exit, 2000);
  bound.unref();
  tak
    .flush()
    .catch(() => {})
    .finally(() => {
      tak.client.once('close', exit);
      tak.client.end();
      tak.destroy();
    });
}

const timer = setTimeout(() => {
  const message = `tak-client: no result after ${timeoutMs} ms (received ${received} of ${expectCount} CoT, accepted=${accepted})`;
  process.stderr.write(message + '\n');
  finish(2, { event: 'timeout', message, received, accepted });
}, timeoutMs);

function buildEvent(seq) {
  const now = new Date();
  const detail = {
    contact: { _attributes: { callsign: options.callsign, endpoint: '*:-1:stcp' } },
    __group: { _attributes: { name: 'Cyan', role: 'Team Member' } },
    takv: { _attributes: { device: 'node', platform: 'node-tak', os: process.platform, version: process.version } },
    track: { _attributes: { speed: '0.0', course: '0.0' } },
  };
  const remarks = options.remarks ?? `seq ${seq}`;
  detail.remarks = { _text: remarks };
  return new CoT({
    event: {
      _attributes: {
        version: '2.0',
        uid: options.uid,
        type: options.type,
        how: 'm-g',
        time: now.toISOString(),
        start: now.toISOString(),
        stale: new Date(now.getTime() + 5 * 60 * 1000).toISOString(),
      },
      point: { _attributes: { lat: 35.6812 + seq / 1000, lon: 139.7671, hae: 40, ce: 10, le: 9999999 } },
      detail,
    },
  });
}

async function sendEvents() {
  if (sent || sendCount <= 0) return;
  sent = true;
  for (let seq = 0; seq < sendCount; seq++) {
    await tak.write([buildEvent(seq)]);
    emit({ event: 'sent', uid: options.uid, seq });
  }
  await tak.flush();
}

function describe(cot) {
  const raw = cot.raw.event;
  const detail = raw.detail ?? {};
  return {
    event: 'cot',
    uid: raw._attributes.uid,
    type: raw._attributes.type,
    how: raw._attributes.how ?? null,
    callsign: detail.contact?._attributes?.callsign ?? null,
    remarks: detail.remarks?._text ?? null,
    lat: raw.point?._attributes?.lat ?? null,
    lon: raw.point?._attributes?.lon ?? null,
    xml: CoTParser.to_xml(cot),
  };
}

try {
  const auth = {
    cert: fs.readFileSync(options.cert, 'utf8'),
    key: fs.readFileSync(options.key, 'utf8'),
    rejectUnauthorized: options['verify-server'],
  };
  if (options.ca) auth.ca = fs.readFileSync(options.ca, 'utf8');

  tak = await TAK.connect(new URL(`ssl://${options.host}:${options.port}`), auth, { id: options.uid });

  tak.on('secureConnect', () => {
    emit({
      event: 'connected',
      authorized: tak.client.authorized,
      authorizationError: tak.client.authorizationError ? String(tak.client.authorizationError) : null,
      protocol: tak.client.getProtocol(),
    });
  });

  tak.on('ping', () => {
    emit({ event: 'pong' });
    if (accepted) return;
    accepted = true;
    emit({ event: 'ready' });
    if (expectRefusal) {
      finish(3, { event: 'accepted', message: 'the server answered a ping: the connection was accepted' });
      return;
    }
    if (options['send-on'] === 'ready') sendEvents().catch(fail);
    checkDone();
  });

  tak.on('cot', (cot) => {
    const type = cot.raw.event._attributes.type;
    if (type.startsWith('t-x-takp')) {
      emit({ event: 'control', type, xml: CoTParser.to_xml(cot) });
      return;
    }
    const line = describe(cot);
    emit(line);
    if (expectRefusal) {
      finish(3, { event: 'accepted', message: 'the server sent CoT: the connection was accepted' });
      return;
    }
    if (type === 't-x-c-t') return; // another client's ping: not data
    if (expectUids.size === 0 || expectUids.has(line.uid)) received++;
    checkDone();
  });

  tak.on('error', (err) => {
    emit({ event: 'error', message: err.message, code: err.code ?? null });
  });

  tak.client.on('close', () => {
    emit({ event: 'closed' });
    if (expectRefusal && !accepted) {
      finish(0, { event: 'refused', received });
    } else {
      const message = `tak-client: connection closed before expectations were met (received ${received} of ${expectCount})`;
      process.stderr.write(message + '\n');
      finish(3, { event: 'closed-early', message, received });
    }
  });

  if (options['send-on'] === 'stdin') {
    const rl = readline.createInterface({ input: process.stdin });
    rl.on('line', (text) => {
      if (text.trim() === 'send') sendEvents().then(checkDone).catch(fail);
      if (text.trim() === 'quit') finish(0, { event: 'done', received, serverVersion: tak.version ?? null });
    });
  }
} catch (err) {
  fail(err);
}

function checkDone() {
  if (expectRefusal || !accepted) return;
  if (received >= expectCount && (sendCount === 0 || sent)) {
    // Wait for our own writes before leaving, so the peer gets them.
    tak.flush().then(() => finish(0, { event: 'done', received, serverVersion: tak.version ?? null }), fail);
  }
}

function fail(err) {
  process.stderr.write(`tak-client: ${err?.stack ?? err}\n`);
  finish(1, { event: 'error', message: String(err?.message ?? err), code: err?.code ?? null });
}

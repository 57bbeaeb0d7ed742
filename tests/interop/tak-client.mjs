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
//   {"event":"sent","uid":...,"seq":n,"access","releasableTo","label":bool}
//   {"event":"cot","uid","type","how","callsign","remarks","lat","lon",
//    "access","releasableTo","caveat",        the event attributes as node-tak parsed them (null when absent)
//    "label":{"policy","classification","releasableTo","caveat","categories":[{name,type,values}]}|null,
//                                             the <__label> detail element's attributes, null when absent
//    "xml"}
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
//   [--access CLASS]          the event attribute access (the classification), e.g. SECRET
//   [--releasable-to LIST]    the event attribute releasableTo, nation trigraphs: USA,JPN
//   [--caveat TEXT]           the event attribute caveat
//   [--label]                 also put <__label policy classification releasableTo caveat/> in detail,
//                             stating the same as --access/--releasable-to/--caveat
//   [--label-policy URN]      the label element's policy, default urn:kizuna:policy:us-jpn-kor
//   [--event JSON]...         send these events, in order, instead of --send N copies; each JSON
//                             object overrides uid, type, callsign, remarks, access, releasableTo,
//                             caveat, and label (true: the element stating the event's label;
//                             false: none; an object: the element's attributes as given, with
//                             "categories":[{"name","type","values"}] as <category/> children)
//   [--expect-count N]        stop after N CoT events (t-x-takp-* and pings not counted)
//   [--expect-uid UID]...     count only events with these uids (repeatable)
//   [--expect-type TYPE]...   count also (or, without --expect-uid, only) events of these types
//   [--expect-refusal]        see above
//   [--ack-warnings]          answer every missile warning (b-w-m-w) with an acknowledgement
//                             (b-w-m-a, <__missileAck id version/>) as a headquarters' client
//                             does, then ping; the warning counts toward --expect-count only when
//                             the pong comes back, so the node has read the acknowledgement.
//                             node-tak's own 5 s pings are stopped, so that pong is ours.
//                             Emits {"event":"acked","id","version"} when confirmed.
//   [--answer-coordination ANSWER]
//                             answer every coordination request that arrives still open (b-t-f
//                             whose <__coordination> state is sent or received) with
//                             <__coordination id answer note/> (ANSWER: ack, accept, decline,
//                             counter, complete, withdraw) as a TAK client does
//                             (docs/coordination.md, "Answers over CoT"), labelled as the request,
//                             then ping; counted toward --expect-count when the pong comes back,
//                             as --ack-warnings does. Emits {"event":"answered","id","answer"}.
//   [--answer-note TEXT]      the answer's note: a decline's reason, a counter's proposal
//   [--timeout-ms MS]         hard timeout, default 30000

import fs from 'node:fs';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import TAK from '@tak-ps/node-tak';
import CoT, { CoTParser } from '@tak-ps/node-cot';
import { describeLabel } from './label.mjs';

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
      access: { type: 'string' },
      'releasable-to': { type: 'string' },
      caveat: { type: 'string' },
      label: { type: 'boolean', default: false },
      'label-policy': { type: 'string', default: 'urn:kizuna:policy:us-jpn-kor' },
      event: { type: 'string', multiple: true, default: [] },
      'send-on': { type: 'string', default: 'ready' },
      'expect-count': { type: 'string', default: '0' },
      'expect-uid': { type: 'string', multiple: true, default: [] },
      'expect-type': { type: 'string', multiple: true, default: [] },
      'expect-refusal': { type: 'boolean', default: false },
      'ack-warnings': { type: 'boolean', default: false },
      'answer-coordination': { type: 'string' },
      'answer-note': { type: 'string' },
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
  options.events = options.event.map((text) => {
    const spec = JSON.parse(text);
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new Error('--event must be a JSON object');
    return spec;
  });
} catch (err) {
  process.stderr.write(`tak-client: ${err.message}\n`);
  process.exit(1);
}

const sendCount = options.events.length > 0 ? options.events.length : Number.parseInt(options.send, 10);
const expectCount = Number.parseInt(options['expect-count'], 10);
const expectUids = new Set(options['expect-uid']);
const expectTypes = new Set(options['expect-type']);
const expectRefusal = options['expect-refusal'];
const timeoutMs = Number.parseInt(options['timeout-ms'], 10);
const ackWarnings = options['ack-warnings'];
const answerCoordination = options['answer-coordination'];
// Acknowledgements and answers written and waiting for the pong that proves the node read them.
const unconfirmedAcks = [];

let tak;
let finished = false;
let accepted = false;
let received = 0;
let sending = false;
let sent = false; // every event written and flushed

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
  // flush() only means node-tak handed everything to the TLS socket: end() sends what the socket
  // still buffers and then FIN, whereas destroy() right after would discard it (the last events
  // were lost that way). node-tak destroys the socket itself when the server closes in answer.
  const bound = setTimeout(exit, 5000);
  bound.unref();
  tak
    .flush()
    .catch(() => {})
    .finally(() => {
      if (tak.pingInterval) {
        clearInterval(tak.pingInterval);
        tak.pingInterval = undefined;
      }
      tak.client.once('close', exit);
      tak.client.end();
    });
}

const timer = setTimeout(() => {
  const message = `tak-client: no result after ${timeoutMs} ms (received ${received} of ${expectCount} CoT, accepted=${accepted})`;
  process.stderr.write(message + '\n');
  finish(2, { event: 'timeout', message, received, accepted });
}, timeoutMs);

/** The event's spec: --event N when given, otherwise the command-line options. */
function specFor(seq) {
  const base = {
    uid: options.uid,
    type: options.type,
    callsign: options.callsign,
    remarks: options.remarks,
    access: options.access,
    releasableTo: options['releasable-to'],
    caveat: options.caveat,
    label: options.label,
  };
  return options.events.length > 0 ? { ...base, ...options.events[seq] } : base;
}

/** The <__label> element in xml-js compact form, or undefined for none. */
function labelElement(spec) {
  if (!spec.label) return undefined;
  const given = spec.label === true
    ? { classification: spec.access, releasableTo: spec.releasableTo, caveat: spec.caveat }
    : spec.label;
  const attributes = { policy: given.policy ?? options['label-policy'] };
  for (const name of ['classification', 'releasableTo', 'caveat']) {
    if (given[name] !== undefined && given[name] !== null) attributes[name] = given[name];
  }
  const element = { _attributes: attributes };
  if (Array.isArray(given.categories) && given.categories.length > 0) {
    element.category = given.categories.map((c) => ({
      _attributes: { name: c.name, type: c.type, values: Array.isArray(c.values) ? c.values.join(',') : c.values },
    }));
  }
  return element;
}

function buildEvent(seq) {
  const spec = specFor(seq);
  const now = new Date();
  const detail = {
    contact: { _attributes: { callsign: spec.callsign, endpoint: '*:-1:stcp' } },
    __group: { _attributes: { name: 'Cyan', role: 'Team Member' } },
    takv: { _attributes: { device: 'node', platform: 'node-tak', os: process.platform, version: process.version } },
    track: { _attributes: { speed: '0.0', course: '0.0' } },
  };
  const remarks = spec.remarks ?? `seq ${seq}`;
  detail.remarks = { _text: remarks };
  const label = labelElement(spec);
  if (label) detail.__label = label;
  const attributes = {
    version: '2.0',
    uid: spec.uid,
    type: spec.type,
    how: 'm-g',
    time: now.toISOString(),
    start: now.toISOString(),
    stale: new Date(now.getTime() + 5 * 60 * 1000).toISOString(),
  };
  if (spec.access !== undefined && spec.access !== null) attributes.access = spec.access;
  if (spec.releasableTo !== undefined && spec.releasableTo !== null) attributes.releasableTo = spec.releasableTo;
  if (spec.caveat !== undefined && spec.caveat !== null) attributes.caveat = spec.caveat;
  return new CoT({
    event: {
      _attributes: attributes,
      point: { _attributes: { lat: 35.6812 + seq / 1000, lon: 139.7671, hae: 40, ce: 10, le: 9999999 } },
      detail,
    },
  });
}

/** The acknowledgement of one warning version, as a headquarters' client sends it. */
function acknowledgement(id, version) {
  const now = new Date();
  return new CoT({
    event: {
      _attributes: {
        version: '2.0',
        uid: `${options.uid}-ack-${id}-${version}`,
        type: 'b-w-m-a',
        how: 'h-e',
        time: now.toISOString(),
        start: now.toISOString(),
        stale: new Date(now.getTime() + 10 * 60 * 1000).toISOString(),
      },
      point: { _attributes: { lat: 0, lon: 0, hae: 0, ce: 9999999, le: 9999999 } },
      detail: { __missileAck: { _attributes: { id, version: String(version) } } },
    },
  });
}

async function acknowledge(cot) {
  const warning = cot.raw.event.detail?.__missileWarning?._attributes ?? {};
  await tak.write([acknowledgement(warning.id, warning.version)]);
  unconfirmedAcks.push({ id: warning.id, version: warning.version });
  await tak.ping();
}

/** The answer to one coordination request, as a TAK client sends it: GeoChat with <__coordination id answer note/>. */
function coordinationAnswer(request, attributes) {
  const now = new Date();
  const room = request.detail?.__chat?._attributes?.chatroom ?? 'Coordination';
  const answer = { id: request.detail.__coordination._attributes.id, answer: answerCoordination };
  if (options['answer-note'] !== undefined) answer.note = options['answer-note'];
  const event = {
    version: '2.0',
    uid: `GeoChat.${options.uid}.answer.${answer.id}.${answer.answer}`,
    type: 'b-t-f',
    how: 'h-g-i-g-o',
    time: now.toISOString(),
    start: now.toISOString(),
    stale: new Date(now.getTime() + 5 * 60 * 1000).toISOString(),
  };
  if (attributes.access) event.access = attributes.access;
  if (attributes.releasableTo) event.releasableTo = attributes.releasableTo;
  return new CoT({
    event: {
      _attributes: event,
      point: { _attributes: { lat: 0, lon: 0, hae: 9999999, ce: 9999999, le: 9999999 } },
      detail: {
        __chat: { _attributes: { chatroom: room, id: room, senderCallsign: options.callsign } },
        remarks: { _text: answer.note ? `${answer.answer}: ${answer.note}` : answer.answer },
        __coordination: { _attributes: answer },
      },
    },
  });
}

async function answer(cot) {
  const raw = cot.raw.event;
  const id = raw.detail.__coordination._attributes.id;
  await tak.write([coordinationAnswer(raw, raw._attributes)]);
  unconfirmedAcks.push({ kind: 'answered', id, answer: answerCoordination });
  await tak.ping();
}

async function sendEvents() {
  if (sending || sent || sendCount <= 0) return;
  sending = true;
  for (let seq = 0; seq < sendCount; seq++) {
    const cot = buildEvent(seq);
    await tak.write([cot]);
    const attrs = cot.raw.event._attributes;
    emit({
      event: 'sent',
      uid: attrs.uid,
      seq,
      access: attrs.access ?? null,
      releasableTo: attrs.releasableTo ?? null,
      label: Boolean(cot.raw.event.detail?.__label),
    });
  }
  await tak.flush();
  sent = true;
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
    access: raw._attributes.access ?? null,
    releasableTo: raw._attributes.releasableTo ?? null,
    caveat: raw._attributes.caveat ?? null,
    label: describeLabel(detail.__label),
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

  if ((ackWarnings || answerCoordination) && tak.pingInterval) {
    clearInterval(tak.pingInterval);
    tak.pingInterval = undefined;
  }

  tak.on('ping', () => {
    emit({ event: 'pong' });
    if (accepted) {
      // Pongs come back in the order of the pings, and each of ours went after its acknowledgement
      // (the first pong answers node-tak's ping on connect, so it confirms none).
      if (unconfirmedAcks.length > 0) {
        const { kind, ...confirmed } = unconfirmedAcks.shift();
        emit({ event: kind ?? 'acked', ...confirmed });
        received++;
        checkDone();
      }
      return;
    }
    accepted = true;
    emit({ event: 'ready' });
    if (expectRefusal) {
      finish(3, { event: 'accepted', message: 'the server answered a ping: the connection was accepted' });
      return;
    }
    // Done is judged once every event is out, not while the first one is being written.
    if (options['send-on'] === 'ready') sendEvents().then(checkDone).catch(fail);
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
    if (ackWarnings && type === 'b-w-m-w') {
      acknowledge(cot).catch(fail); // counted when the pong confirms it
      return;
    }
    const coordination = type === 'b-t-f' ? cot.raw.event.detail?.__coordination?._attributes : undefined;
    if (answerCoordination && coordination && ['sent', 'received'].includes(coordination.state)) {
      answer(cot).catch(fail); // counted when the pong confirms it
      return;
    }
    const filtered = expectUids.size > 0 || expectTypes.size > 0;
    if (!filtered || expectUids.has(line.uid) || expectTypes.has(line.type)) received++;
    checkDone();
  });

  tak.on('error', (err) => {
    emit({ event: 'error', message: err.message, code: err.code ?? null });
  });

  tak.client.on('close', () => {
    emit({ event: 'closed' });
    if (finished) return; // our own close, after the result
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

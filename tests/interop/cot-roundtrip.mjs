#!/usr/bin/env node
// @tak-ps/node-cot on both sides of Kizuna's codecs, for the interop tests.
//
// Reads requests as JSON lines (stdin, or --in FILE) and answers each with one JSON line
// on stdout, in order, with the request's "id":
//
//   {"op":"parse-xml","id":..,"xml":"<event ...>...</event>"}
//   {"op":"parse-proto","id":..,"base64":".."}  (or "hex"): a bare TakMessage, a stream
//        frame (0xBF, varint length, TakMessage) or a mesh datagram (0xBF 0x01 0xBF, TakMessage)
//     -> {"id","ok":true,"framing":"none|stream|mesh"?,"uid","type","how","time","start","stale",
//         "access","releasableTo","caveat" (event attributes as node-cot kept them, null when absent),
//         "label":{"policy","classification","releasableTo","caveat","categories":[{name,type,values}]}|null
//                 (the <__label> detail element's attributes, null when absent),
//         "point":{lat,lon,hae,ce,le},"callsign","remarks","group":{name,role}|null,
//         "detail":{...xml-js compact form...},"xml":"node-cot's to_xml of what it parsed"}
//
//   {"op":"write","id":..,"event":{"uid","type","how","callsign","remarks","lat","lon","hae",
//        "ce","le","time","start","stale","group":{"name","role"},"detail":{...extra, xml-js compact},
//        "access","releasableTo","caveat" (event attributes),
//        "label":{"policy","classification","releasableTo","caveat","categories":[{name,type,values}]}}}
//        (label becomes the <__label> detail element, categories its <category/> children)
//     -> {"id","ok":true,"xml":"CoTParser.to_xml","proto_base64":"CoTParser.to_proto","proto_framing":"none"}
//
// A request that node-cot refuses answers {"id","ok":false,"error":"..."}; the script goes on.
// Exit codes: 0 all requests answered, 1 bad input or crash, 2 hard timeout (--timeout-ms, default 30000).

import fs from 'node:fs';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import CoT, { CoTParser } from '@tak-ps/node-cot';
import { describeLabel } from './label.mjs';

let options;
try {
  ({ values: options } = parseArgs({
    options: {
      in: { type: 'string' },
      'timeout-ms': { type: 'string', default: '30000' },
    },
    strict: true,
  }));
} catch (err) {
  process.stderr.write(`cot-roundtrip: ${err.message}\n`);
  process.exit(1);
}

const timeoutMs = Number.parseInt(options['timeout-ms'], 10);
const timer = setTimeout(() => {
  process.stderr.write(`cot-roundtrip: no end of input after ${timeoutMs} ms\n`);
  process.exit(2);
}, timeoutMs);

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

/** Strips TAK protocol framing if present; node-cot's from_proto wants the bare TakMessage. */
function unframe(bytes) {
  if (bytes.length === 0 || bytes[0] !== 0xbf) return { payload: bytes, framing: 'none' };
  if (bytes.length >= 3 && bytes[1] === 0x01 && bytes[2] === 0xbf) {
    return { payload: bytes.subarray(3), framing: 'mesh' };
  }
  let length = 0;
  let shift = 0;
  let offset = 1;
  for (;;) {
    if (offset >= bytes.length || shift > 28) throw new Error('bad varint length in stream frame');
    const b = bytes[offset++];
    length |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) break;
    shift += 7;
  }
  if (offset + length > bytes.length) throw new Error(`stream frame says ${length} bytes, has ${bytes.length - offset}`);
  return { payload: bytes.subarray(offset, offset + length), framing: 'stream' };
}


function describe(cot) {
  const raw = cot.raw.event;
  const detail = raw.detail ?? {};
  const attrs = raw._attributes;
  const point = raw.point?._attributes ?? {};
  return {
    uid: attrs.uid,
    type: attrs.type,
    how: attrs.how ?? null,
    time: attrs.time,
    start: attrs.start,
    stale: attrs.stale,
    access: attrs.access || null,
    releasableTo: attrs.releasableTo || null,
    caveat: attrs.caveat || null,
    label: describeLabel(detail.__label),
    point: { lat: point.lat, lon: point.lon, hae: point.hae, ce: point.ce, le: point.le },
    callsign: detail.contact?._attributes?.callsign ?? null,
    endpoint: detail.contact?._attributes?.endpoint ?? null,
    remarks: detail.remarks?._text ?? null,
    group: detail.__group?._attributes
      ? { name: detail.__group._attributes.name ?? null, role: detail.__group._attributes.role ?? null }
      : null,
    detail,
    xml: CoTParser.to_xml(cot),
  };
}

function build(spec) {
  if (!spec || !spec.uid || !spec.type) throw new Error('write needs event.uid and event.type');
  const now = new Date();
  const detail = { ...(spec.detail ?? {}) };
  if (spec.callsign !== undefined) detail.contact = { _attributes: { callsign: spec.callsign } };
  if (spec.group) detail.__group = { _attributes: { name: spec.group.name, role: spec.group.role } };
  if (spec.remarks !== undefined) detail.remarks = { _text: spec.remarks };
  if (spec.label) {
    const attributes = {};
    for (const name of ['policy', 'classification', 'releasableTo', 'caveat']) {
      if (spec.label[name] !== undefined && spec.label[name] !== null) attributes[name] = spec.label[name];
    }
    detail.__label = { _attributes: attributes };
    if (Array.isArray(spec.label.categories) && spec.label.categories.length > 0) {
      detail.__label.category = spec.label.categories.map((c) => ({
        _attributes: { name: c.name, type: c.type, values: Array.isArray(c.values) ? c.values.join(',') : c.values },
      }));
    }
  }
  const attributes = {
    version: '2.0',
    uid: spec.uid,
    type: spec.type,
    how: spec.how ?? 'm-g',
    time: spec.time ?? now.toISOString(),
    start: spec.start ?? spec.time ?? now.toISOString(),
    stale: spec.stale ?? new Date(now.getTime() + 5 * 60 * 1000).toISOString(),
  };
  for (const name of ['access', 'releasableTo', 'caveat']) {
    if (spec[name] !== undefined && spec[name] !== null) attributes[name] = spec[name];
  }
  return new CoT({
    event: {
      _attributes: attributes,
      point: {
        _attributes: {
          lat: spec.lat ?? 0,
          lon: spec.lon ?? 0,
          hae: spec.hae ?? 9999999,
          ce: spec.ce ?? 9999999,
          le: spec.le ?? 9999999,
        },
      },
      detail,
    },
  });
}

async function answer(request) {
  switch (request.op) {
    case 'parse-xml': {
      const cot = CoTParser.from_xml(request.xml);
      return describe(cot);
    }
    case 'parse-proto': {
      const bytes = request.base64 !== undefined
        ? Buffer.from(request.base64, 'base64')
        : Buffer.from(request.hex ?? '', 'hex');
      const { payload, framing } = unframe(bytes);
      const cot = await CoTParser.from_proto(payload);
      return { framing, ...describe(cot) };
    }
    case 'write': {
      const cot = build(request.event);
      const xml = CoTParser.to_xml(cot);
      const proto = await CoTParser.to_proto(cot);
      return { xml, proto_base64: Buffer.from(proto).toString('base64'), proto_framing: unframe(proto).framing };
    }
    default:
      throw new Error(`unknown op ${JSON.stringify(request.op)}`);
  }
}

async function main() {
  const input = options.in ? fs.createReadStream(options.in) : process.stdin;
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let request;
    try {
      request = JSON.parse(line);
    } catch (err) {
      process.stderr.write(`cot-roundtrip: input is not a JSON line: ${err.message}\n`);
      process.exit(1);
    }
    try {
      emit({ id: request.id ?? null, ok: true, ...(await answer(request)) });
    } catch (err) {
      emit({ id: request.id ?? null, ok: false, error: String(err?.message ?? err) });
    }
  }
  clearTimeout(timer);
}

main().catch((err) => {
  process.stderr.write(`cot-roundtrip: ${err?.stack ?? err}\n`);
  process.exit(1);
});

#!/usr/bin/env node
// Data packages with @tak-ps/node-tak's own API client, for the Kizuna interop tests.
//
// `new TAKAPI(url, new APIAuthCertificate(cert, key))` (its undici client over TLS with the client
// certificate), then one operation, printing one JSON object per line:
//
//   --op upload-package --file F --name N   Files.uploadPackage (POST /Marti/sync/missionupload, multipart)
//                                           {"event":"uploaded","hash":..,"url":..}
//   --op upload-file --file F --name N      Files.upload (POST /Marti/sync/upload, raw body, iTAK's way)
//                                           {"event":"uploaded","hash":..,"name":..,"label":..}
//   --op list                               Package.list (GET /Marti/sync/search)
//                                           {"event":"listed","count":n,"hashes":[..],"names":[..],"labels":[..]}
//   --op files                              Files.list (GET /Marti/api/sync/search)
//                                           {"event":"files","hashes":[..],"names":[..]}
//   --op query --hash H                     GET /Marti/sync/missionquery through the client's fetch
//                                           {"event":"found","url":..} or {"event":"refused","status":n,"message":..}
//   --op download --hash H --out F          the request of Files.download (GET /Marti/sync/content), its status,
//                                           then Files.download itself when it is 200
//                                           {"event":"downloaded","status":n,"bytes":n,"sha256":..,"body":..}
//
// Options: --url https://HOST:PORT --cert FILE --key FILE [--timeout-ms MS]. A failed call prints
// {"event":"refused","status":n,"message":..} and exits 3.

import fs from 'node:fs';
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import { TAKAPI, APIAuthCertificate } from '@tak-ps/node-tak';

const { values: args } = parseArgs({
    options: {
        url: { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
        op: { type: 'string' },
        file: { type: 'string' },
        name: { type: 'string' },
        hash: { type: 'string' },
        out: { type: 'string' },
        'timeout-ms': { type: 'string', default: '30000' },
    },
});

for (const required of ['url', 'cert', 'key', 'op']) {
    if (!args[required]) {
        console.error(`--${required} is required`);
        process.exit(1);
    }
}

const emit = (o) => process.stdout.write(JSON.stringify(o) + '\n');
setTimeout(() => {
    emit({ event: 'timeout' });
    process.exit(2);
}, Number(args['timeout-ms'])).unref();

const sha256 = (buffer) => crypto.createHash('sha256').update(buffer).digest('hex');
const parse = (body) => (typeof body === 'string' ? JSON.parse(body) : body);

async function collect(stream) {
    const chunks = [];
    for await (const chunk of stream) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks);
}

try {
    const api = new TAKAPI(new URL(args.url), new APIAuthCertificate(fs.readFileSync(args.cert, 'utf8'), fs.readFileSync(args.key, 'utf8')));
    switch (args.op) {
        case 'upload-package': {
            const content = fs.readFileSync(args.file);
            const hash = sha256(content);
            const url = await api.Files.uploadPackage({ name: args.name, creatorUid: 'NODE-TAK-interop', hash }, content);
            emit({ event: 'uploaded', hash, url: String(url).trim() });
            break;
        }
        case 'upload-file': {
            const content = fs.readFileSync(args.file);
            const record = await api.Files.upload({ name: args.name, contentLength: content.length, keywords: ['interop'], creatorUid: 'NODE-TAK-interop' }, content);
            emit({ event: 'uploaded', hash: record.Hash, name: record.Name, label: record.Label });
            break;
        }
        case 'list': {
            const list = await api.Package.list({});
            emit({
                event: 'listed',
                count: list.resultCount,
                hashes: list.results.map((r) => r.Hash),
                names: list.results.map((r) => r.Name),
                labels: list.results.map((r) => r.Label),
            });
            break;
        }
        case 'files': {
            const list = parse(await api.Files.list());
            emit({ event: 'files', hashes: list.data.map((f) => f.hash), names: list.data.map((f) => f.name) });
            break;
        }
        case 'query': {
            const url = await api.fetch(new URL(`/Marti/sync/missionquery?hash=${encodeURIComponent(args.hash)}`, api.url), { method: 'GET' });
            emit({ event: 'found', url: String(url).trim() });
            break;
        }
        case 'download': {
            const probe = await api.fetch(new URL(`/Marti/sync/content?hash=${encodeURIComponent(args.hash)}`, api.url), { method: 'GET' }, true);
            const first = await collect(probe.body);
            if (probe.status !== 200) {
                emit({ event: 'downloaded', status: probe.status, bytes: first.length, sha256: sha256(first), body: first.toString('utf8') });
                break;
            }

            const content = await collect(await api.Files.download(args.hash));
            if (args.out) fs.writeFileSync(args.out, content, { mode: 0o600 });
            emit({ event: 'downloaded', status: 200, bytes: content.length, sha256: sha256(content) });
            break;
        }
        default:
            throw new Error(`unknown --op ${args.op}`);
    }

    process.exit(0);
} catch (err) {
    emit({ event: 'refused', status: err.status ?? null, message: err.message ?? String(err) });
    process.exit(3);
}

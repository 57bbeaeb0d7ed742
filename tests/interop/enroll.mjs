#!/usr/bin/env node
// TAK certificate enrollment with @tak-ps/node-tak's own API client, for the Kizuna interop tests.
//
// `new TAKAPI(url, new APIAuthPassword(user, password))` and `Credentials.generate()`: GET
// /Marti/api/tls/config for the name entries, a new key and CSR (the pem package, with openssl),
// POST /Marti/api/tls/signClient/v2 with HTTP Basic. Writes the key, the signed certificate and the
// CA to --out and prints one JSON object per line:
//
//   {"event":"config","organization":..,"organizationUnit":..}
//   {"event":"enrolled","cert":FILE,"key":FILE,"ca":FILE,"chain":n}
//   {"event":"refused","status":n,"message":..}      exit code 3
//
// Options: --url https://HOST:PORT --username NAME --password TOKEN --ca FILE --out DIR [--timeout-ms MS]
// The node's CA is trusted through NODE_EXTRA_CA_CERTS (node's fetch reads it at start): without
// it set, the script runs itself again with it.

import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { TAKAPI, APIAuthPassword } from '@tak-ps/node-tak';

const { values: args } = parseArgs({
    options: {
        url: { type: 'string' },
        username: { type: 'string' },
        password: { type: 'string' },
        ca: { type: 'string' },
        out: { type: 'string' },
        'timeout-ms': { type: 'string', default: '30000' },
    },
});

for (const required of ['url', 'username', 'password', 'ca', 'out']) {
    if (!args[required]) {
        console.error(`--${required} is required`);
        process.exit(1);
    }
}

if (process.env.NODE_EXTRA_CA_CERTS !== args.ca) {
    const run = spawnSync(process.execPath, process.argv.slice(1), {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: args.ca },
        stdio: 'inherit',
    });
    process.exit(run.status ?? 1);
}

const emit = (o) => process.stdout.write(JSON.stringify(o) + '\n');
setTimeout(() => {
    emit({ event: 'timeout' });
    process.exit(2);
}, Number(args['timeout-ms'])).unref();

try {
    const api = new TAKAPI(new URL(args.url), new APIAuthPassword(args.username, args.password));

    const config = await api.Credentials.config();
    const entry = (name) => config.match(new RegExp(`<nameEntry name="${name}" value="([^"]*)"`))?.[1] ?? null;
    emit({ event: 'config', organization: entry('O'), organizationUnit: entry('OU') });

    const credentials = await api.Credentials.generate();
    fs.mkdirSync(args.out, { recursive: true });
    const files = {
        cert: path.join(args.out, 'enrolled.pem'),
        key: path.join(args.out, 'enrolled.key'),
        ca: path.join(args.out, 'enrolled-ca.pem'),
    };
    fs.writeFileSync(files.cert, credentials.cert + '\n', { mode: 0o600 });
    fs.writeFileSync(files.key, credentials.key, { mode: 0o600 });
    const ca = credentials.ca.map((b64) => `-----BEGIN CERTIFICATE-----\n${b64.trim()}\n-----END CERTIFICATE-----\n`).join('');
    fs.writeFileSync(files.ca, ca, { mode: 0o600 });
    emit({ event: 'enrolled', ...files, chain: credentials.ca.length });
    process.exit(0);
} catch (err) {
    emit({ event: 'refused', status: err.status ?? null, message: err.message ?? String(err) });
    process.exit(3);
}

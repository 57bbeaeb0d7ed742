// Build the console into dist/: app.js (bundled by esbuild), index.html, app.css, and the
// Natural Earth TopoJSON from world-atlas. Deterministic: same inputs, same bytes.
import { build } from 'esbuild';
import { mkdir, rm, copyFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');
const started = Date.now();

await rm(dist, { recursive: true, force: true });
await mkdir(join(dist, 'data'), { recursive: true });

await build({
  entryPoints: [join(root, 'src/main.js')],
  bundle: true,
  format: 'esm',
  target: ['chrome110', 'firefox115', 'safari16'],
  minify: !process.env.KIZUNA_WEB_NOMINIFY, // KIZUNA_WEB_NOMINIFY=1 for readable profiles
  sourcemap: false,
  legalComments: 'eof',
  charset: 'utf8',
  outfile: join(dist, 'app.js'),
  logLevel: 'warning',
});

await Promise.all([
  copyFile(join(root, 'src/index.html'), join(dist, 'index.html')),
  copyFile(join(root, 'src/app.css'), join(dist, 'app.css')),
  copyFile(join(root, 'node_modules/world-atlas/land-50m.json'), join(dist, 'data/land-50m.json')),
  copyFile(join(root, 'node_modules/world-atlas/countries-50m.json'), join(dist, 'data/countries-50m.json')),
]);

console.log(`web/dist built in ${Date.now() - started} ms`);

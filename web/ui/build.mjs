// Checks the catalogues (check-i18n.mjs), then builds the pages into ../static: console.{js,css,html},
// respond.{js,css,html} and evaluation.{js,css,html}; then the responder
// app's manifests (respond.webmanifest, respond.en.webmanifest), its icons
// and its service worker (respond-sw.js), which caches the app shell
// listed here under a hash of the shell's contents; and
// roster.{js,css,html}. esbuild output is
// deterministic, so CI rebuilds and fails on any difference from what is
// committed.
//
//   npm ci && node build.mjs      (or: make web)
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { check } from './check-i18n.mjs';

const here = dirname(fileURLToPath(import.meta.url));

// No page is built with a missing word or a word left out of the catalogues.
const problems = await check(here);
if (problems.length) {
  console.error(`i18n check: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
const out = join(here, '..', 'static');
mkdirSync(out, { recursive: true });

await build({
  absWorkingDir: here,
  entryPoints: { console: 'src/console/main.js', respond: 'src/respond/main.js', evaluation: 'src/evaluation/main.js', roster: 'src/roster/main.js', request: 'src/request/main.js' },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'iife',
  loader: { '.png': 'dataurl', '.svg': 'dataurl' },
  target: 'es2020',
  charset: 'utf8',
  legalComments: 'eof',
  logLevel: 'warning',
});

const ICONS = ['icon.svg', 'icon-192.png', 'icon-512.png', 'icon-maskable-192.png', 'icon-maskable-512.png'];
for (const page of ['console.html', 'respond.html', 'evaluation.html', 'roster.html', 'request.html', ...ICONS]) {
  copyFileSync(join(here, 'src', page), join(out, page));
}

// The manifests, one per language, from the catalogues.
const res = await build({
  absWorkingDir: here, entryPoints: ['src/respond/manifest.js'], bundle: true, write: false, format: 'esm', platform: 'neutral', logLevel: 'warning',
});
const { MANIFESTS, manifest } = await import(`data:text/javascript;base64,${Buffer.from(res.outputFiles[0].text).toString('base64')}`);
for (const [lang, file] of Object.entries(MANIFESTS)) {
  writeFileSync(join(out, file), `${JSON.stringify(manifest(lang), null, 2)}\n`);
}

// The service worker, with the shell it keeps for offline use: the page
// (its template, /respond), its script and style, icons, manifests and the
// offline basemap. Its cache is named by a hash of all of them, so a new
// deploy is a new worker that replaces the old cache.
const SHELL = { '/respond': join(here, 'src', 'respond.html') };
for (const f of ['respond.js', 'respond.css', ...ICONS, ...Object.values(MANIFESTS), 'basemap.geojson']) SHELL[`/static/${f}`] = join(out, f);
const hash = createHash('sha256');
for (const [url, file] of Object.entries(SHELL)) hash.update(url).update('\0').update(readFileSync(file));
await build({
  absWorkingDir: here,
  entryPoints: { 'respond-sw': 'src/respond/sw.js' },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  charset: 'utf8',
  legalComments: 'eof',
  logLevel: 'warning',
  define: { __SHELL__: JSON.stringify(Object.keys(SHELL)), __VERSION__: JSON.stringify(hash.digest('hex').slice(0, 12)) },
});
console.log(`built into ${out}`);

// Builds the pages into ../static: console.{js,css,html},
// respond.{js,css,html} and evaluation.{js,css,html}. esbuild output is
// deterministic, so CI rebuilds and fails on any difference from what is
// committed.
//
//   npm ci && node build.mjs      (or: make web)
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'static');
mkdirSync(out, { recursive: true });

await build({
  absWorkingDir: here,
  entryPoints: { console: 'src/console/main.js', respond: 'src/respond/main.js', evaluation: 'src/evaluation/main.js' },
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

for (const page of ['console.html', 'respond.html', 'evaluation.html', 'icon.svg']) {
  copyFileSync(join(here, 'src', page), join(out, page));
}
console.log(`built into ${out}`);

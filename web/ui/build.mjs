// Checks the catalogues (check-i18n.mjs), then builds the pages into ../static: console.{js,css,html},
// respond.{js,css,html}, evaluation.{js,css,html} and roster.{js,css,html}. esbuild output is
// deterministic, so CI rebuilds and fails on any difference from what is
// committed.
//
//   npm ci && node build.mjs      (or: make web)
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
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
  entryPoints: { console: 'src/console/main.js', respond: 'src/respond/main.js', evaluation: 'src/evaluation/main.js', roster: 'src/roster/main.js' },
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

for (const page of ['console.html', 'respond.html', 'evaluation.html', 'roster.html', 'icon.svg']) {
  copyFileSync(join(here, 'src', page), join(out, page));
}
console.log(`built into ${out}`);

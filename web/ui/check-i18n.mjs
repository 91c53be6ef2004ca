// The catalogue check, run by build.mjs before bundling (and by
// web/lang_browser_test.go on fixtures). It fails when:
//  1. a key is in one language's catalogue and not the other's;
//  2. a text's placeholders ({name}) differ between the languages;
//  3. a key is used nowhere: a key is used when it appears as a quoted
//     string in any source under src/ ('offer.accept'), when a template in
//     the sources builds its family (`role.${r}` uses every role.* key), or
//     when docs/GLOSSARY.md names it (the shared words exist for it);
//  4. a page source says something to people outside the catalogues:
//     - HTML (PAGE_HTML): a text node with words (two Latin letters in a
//       row, or any CJK character) whose element has no data-i18n; an
//       alt/title/aria-label/placeholder attribute with words not set
//       through data-i18n-attr. Elements with translate="no" (names, such
//       as the brand and the language switch's own names) and <noscript>
//       text written in both languages are allowed.
//     - JS (PAGE_DIRS): a string or template literal with words that is a
//       child argument of h(...) (every argument after the attributes), the
//       value assigned to textContent/innerText/title/placeholder, the
//       value of a title/aria-label/placeholder/alt attribute in h's
//       attributes, or the argument of toast(...). A line ending in the
//       comment "i18n-ok" is exempt (keep it for non-words). Symbols such
//       as '·', '★', '✓' and numbers are not words and pass.
//  5. the glossary (docs/GLOSSARY.md) and lib/words.js disagree: every
//     glossary row `| key | 中文 | English |` must match the catalogue.
//
//   node check-i18n.mjs [--root DIR]     (exit 1 and a list on failure)
import { build } from 'esbuild';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// The catalogues: each module exports `catalogue` = {'zh-CN': {...}, en: {...}}.
export const CATALOGUES = ['src/lib/words.js', 'src/lib/errors.js', 'src/respond/messages.js', 'src/console/messages.js', 'src/console/demo-messages.js', 'src/evaluation/messages.js', 'src/roster/messages.js', 'src/request/messages.js'];
// The page sources whose literals are checked (folders under src/).
export const PAGE_DIRS = ['respond', 'lib', 'console', 'evaluation', 'roster', 'request'];
// The page HTML files checked (under src/).
export const PAGE_HTML = ['respond.html', 'console.html', 'evaluation.html', 'roster.html', 'request.html'];
// The glossary, relative to the root (web/ui).
export const GLOSSARY = '../../docs/GLOSSARY.md';

const LANGS = ['zh-CN', 'en'];
const WORDS = /[A-Za-z]{2}|[\u3400-\u9fff\uf900-\ufaff]/;
const CJK = /[\u3400-\u9fff]/;
const LATIN = /[A-Za-z]{2}/;

function walk(dir, exts) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p, exts));
    else if (exts.some((x) => e.name.endsWith(x))) out.push(p);
  }
  return out.sort();
}

async function loadCatalogue(root, file) {
  const res = await build({
    absWorkingDir: root, entryPoints: [file], bundle: true, write: false, format: 'esm', platform: 'neutral', logLevel: 'silent',
  });
  const url = `data:text/javascript;base64,${Buffer.from(res.outputFiles[0].text).toString('base64')}`;
  const mod = await import(url);
  return mod.catalogue;
}

const placeholders = (v) => [...new Set((typeof v === 'object' ? Object.values(v).join(' ') : String(v)).match(/\{\w+\}/g) || [])].sort().join(' ');

// tokens splits JS into strings, templates (with their text parts) and
// punctuation, skipping comments; good enough for our own sources.
function tokens(src) {
  const out = [];
  let i = 0;
  let line = 1;
  const push = (type, value, extra = {}) => out.push({ type, value, line, ...extra });
  while (i < src.length) {
    const c = src[i];
    if (c === '\n') { line++; i++; continue; }
    if (c === '/' && src[i + 1] === '/') { const j = src.indexOf('\n', i); push('comment', src.slice(i, j < 0 ? src.length : j)); i = j < 0 ? src.length : j; continue; }
    if (c === '/' && src[i + 1] === '*') { const j = src.indexOf('*/', i + 2); line += (src.slice(i, j).match(/\n/g) || []).length; i = j + 2; continue; }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      push('str', src.slice(i + 1, j));
      i = j + 1;
      continue;
    }
    if (c === '`') {
      // text parts only; ${...} expressions are tokenised on their own
      let j = i + 1;
      const parts = [];
      let part = '';
      let exprs = 0;
      while (j < src.length && src[j] !== '`') {
        if (src[j] === '\\') { part += src.slice(j, j + 2); j += 2; continue; }
        if (src[j] === '$' && src[j + 1] === '{') {
          parts.push(part); part = '';
          let depth = 1; j += 2;
          const start = j;
          while (j < src.length && depth) { if (src[j] === '{') depth++; else if (src[j] === '}') depth--; j++; }
          out.push(...tokens(src.slice(start, j - 1)).map((t) => ({ ...t, line })));
          exprs++;
          continue;
        }
        if (src[j] === '\n') line++;
        part += src[j++];
      }
      parts.push(part);
      push('tpl', parts.join(' '), { parts });
      i = j + 1;
      continue;
    }
    if (/\s/.test(c)) { i++; continue; }
    const m = /^[A-Za-z_$][\w$]*/.exec(src.slice(i, i + 64));
    if (m) { push('id', m[0]); i += m[0].length; continue; }
    push('punct', c);
    i++;
  }
  return out;
}

const VISIBLE_ATTRS = new Set(['title', 'aria-label', 'placeholder', 'alt']);

// jsLiterals reports the user-visible literals of one JS source.
export function jsLiterals(src, file = 'source') {
  const found = [];
  const exempt = new Set(src.split('\n').map((l, n) => (/\/\/\s*i18n-ok\b/.test(l) ? n + 1 : 0)));
  const toks = tokens(src);
  const flag = (tok, why) => {
    if ((tok.type === 'str' || tok.type === 'tpl') && WORDS.test(tok.value) && !exempt.has(tok.line)) found.push(`${file}:${tok.line}: ${why}: ${JSON.stringify(tok.value)}`);
  };
  for (let k = 0; k < toks.length; k++) {
    const tk = toks[k];
    const next = toks[k + 1] || {};
    const prev = toks[k - 1] || {};
    // x.textContent = '...', el.title = `...`
    if (tk.type === 'id' && ['textContent', 'innerText', 'title', 'placeholder'].includes(tk.value) && prev.value === '.' && next.value === '=' && toks[k + 2]?.value !== '=') flag(toks[k + 2], `${tk.value} =`);
    // toast('...')
    if (tk.type === 'id' && tk.value === 'toast' && next.value === '(') flag(toks[k + 2], 'toast()');
    // h('tag', {attrs}, children...)
    if (tk.type === 'id' && tk.value === 'h' && next.value === '(' && prev.value !== '.') {
      let depth = 0;
      let arg = 0;
      for (let j = k + 1; j < toks.length; j++) {
        const x = toks[j];
        if (x.value === '(' || x.value === '[' || x.value === '{') { depth++; if (depth === 1) continue; }
        if (x.value === ')' || x.value === ']' || x.value === '}') { depth--; if (depth === 0) break; }
        if (depth === 1 && x.value === ',') { arg++; continue; }
        if (arg >= 2 && depth === 1) flag(x, 'h() child');
        // attributes: {title: '...'} and {'aria-label': '...'}
        if (arg === 1 && depth === 2 && (x.type === 'id' || x.type === 'str') && VISIBLE_ATTRS.has(x.value) && toks[j + 1]?.value === ':') flag(toks[j + 2], `${x.value} attribute`);
      }
    }
  }
  return found;
}

// htmlLiterals reports the user-visible literals of one HTML page.
export function htmlLiterals(src, file = 'page.html') {
  const found = [];
  const body = src.replace(/<!--[\s\S]*?-->/g, '').replace(/<![^>]*>/g, '').replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, '').replace(/\{\{[^}]*\}\}/g, '');
  const stack = [];
  const re = /<(\/?)([a-zA-Z][\w-]*)([^>]*)>|([^<]+)/g;
  const VOID = new Set(['meta', 'link', 'input', 'br', 'img', 'hr', 'source']);
  let m;
  while ((m = re.exec(body))) {
    if (m[4] !== undefined) {
      const text = m[4].trim();
      if (!WORDS.test(text)) continue;
      const top = stack[stack.length - 1] || { attrs: '' };
      if (stack.some((e) => /\btranslate="no"/.test(e.attrs))) continue;
      if (stack.some((e) => e.tag === 'noscript') && CJK.test(text) && LATIN.test(text)) continue;
      if (/\bdata-i18n="/.test(top.attrs)) continue;
      found.push(`${file}: text without data-i18n in <${top.tag || '?'}>: ${JSON.stringify(text)}`);
      continue;
    }
    const [, closing, tag, attrs] = m;
    const t = tag.toLowerCase();
    if (closing) {
      while (stack.length && stack.pop().tag !== t);
      continue;
    }
    for (const a of VISIBLE_ATTRS) {
      const v = new RegExp(`\\s${a}="([^"]*)"`).exec(attrs);
      const set = new RegExp(`data-i18n-attr="[^"]*\\b${a}:`).test(attrs);
      if (v && WORDS.test(v[1]) && !set && !/\btranslate="no"/.test(attrs)) found.push(`${file}: ${a}="${v[1]}" on <${t}> without data-i18n-attr`);
    }
    if (!VOID.has(t) && !attrs.trim().endsWith('/')) stack.push({ tag: t, attrs });
  }
  return found;
}

// glossaryRows reads `| key | 中文 | English |` rows whose key looks like
// a catalogue key (group.name).
export function glossaryRows(md) {
  const rows = [];
  for (const line of md.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 5) continue;
    const key = cells[1].replace(/`/g, '');
    if (!/^[a-z_]+\.[\w.]+$/.test(key)) continue;
    rows.push({ key, 'zh-CN': cells[2], en: cells[3] });
  }
  return rows;
}

// check runs every rule on the tree at root (web/ui or a fixture shaped
// like it) and returns the problems found.
export async function check(root) {
  const problems = [];
  const merged = { 'zh-CN': {}, en: {} };
  for (const file of CATALOGUES) {
    if (!existsSync(join(root, file))) continue;
    const cat = await loadCatalogue(root, file);
    for (const l of LANGS) {
      for (const k of Object.keys(cat[l] || {})) if (k in merged[l]) problems.push(`${file}: ${k} is defined twice`);
      Object.assign(merged[l], cat[l] || {});
    }
  }
  const keys = new Set([...Object.keys(merged['zh-CN']), ...Object.keys(merged.en)]);
  for (const k of keys) {
    for (const l of LANGS) if (!(k in merged[l])) problems.push(`${k}: missing in ${l}`);
    if (k in merged['zh-CN'] && k in merged.en && placeholders(merged['zh-CN'][k]) !== placeholders(merged.en[k])) {
      problems.push(`${k}: placeholders differ: zh-CN {${placeholders(merged['zh-CN'][k])}} en {${placeholders(merged.en[k])}}`);
    }
  }

  // Which keys the sources use.
  const glossaryPath = join(root, GLOSSARY);
  const glossary = existsSync(glossaryPath) ? glossaryRows(readFileSync(glossaryPath, 'utf8')) : [];
  const used = new Set(glossary.map((r) => r.key));
  const families = [];
  const catalogueFiles = new Set(CATALOGUES.map((f) => join(root, f)));
  for (const file of walk(join(root, 'src'), ['.js', '.html'])) {
    if (catalogueFiles.has(file)) continue;
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/['"]([a-z_]+\.[\w.]+)['"]|data-i18n="([^"]+)"|:\s*([a-z_]+\.[\w.]+)\s*[;"]/g)) used.add(m[1] || m[2] || m[3]);
    for (const m of src.matchAll(/`([a-z_][\w.]*\.)\$\{/g)) families.push(m[1]);
  }
  for (const k of keys) if (!used.has(k) && !families.some((f) => k.startsWith(f))) problems.push(`${k}: not used by any page`);

  // Literals left in the pages.
  for (const dir of PAGE_DIRS) {
    for (const file of walk(join(root, 'src', dir), ['.js'])) {
      if (catalogueFiles.has(file)) continue;
      problems.push(...jsLiterals(readFileSync(file, 'utf8'), relative(root, file)));
    }
  }
  for (const page of PAGE_HTML) {
    const file = join(root, 'src', page);
    if (existsSync(file)) problems.push(...htmlLiterals(readFileSync(file, 'utf8'), relative(root, file)));
  }

  // The glossary says what the catalogue says.
  for (const r of glossary) {
    for (const l of LANGS) {
      if (merged[l][r.key] === undefined) problems.push(`GLOSSARY.md: ${r.key} is not in the catalogues`);
      else if (merged[l][r.key] !== r[l]) problems.push(`GLOSSARY.md: ${r.key} (${l}) is "${r[l]}" but the catalogue says "${merged[l][r.key]}"`);
    }
  }
  return problems;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--root');
  const root = i > 0 ? process.argv[i + 1] : dirname(fileURLToPath(import.meta.url));
  const problems = await check(root);
  if (problems.length) {
    console.error(`i18n check: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log('i18n check: catalogues complete, no literals in the pages');
}

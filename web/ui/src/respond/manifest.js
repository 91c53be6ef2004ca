// The web app manifest of the responder page, one per language, written by
// build.mjs into /static/respond.webmanifest (Chinese, the default) and
// /static/respond.en.webmanifest. A manifest has one name, so the page
// links the one in its language (install.js); the colours are
// respond.css's header and background.
import './messages.js';
import { translate } from '../lib/i18n.js';

export const MANIFESTS = { 'zh-CN': 'respond.webmanifest', en: 'respond.en.webmanifest' };

export function manifest(lang) {
  return {
    id: '/respond',
    name: translate(lang, 'respond.title'),
    short_name: translate(lang, 'respond.app.short_name'),
    description: translate(lang, 'respond.app.description'),
    lang,
    dir: 'ltr',
    start_url: '/respond',
    scope: '/respond',
    display: 'standalone',
    theme_color: '#1d2733',
    background_color: '#eef1f4',
    icons: [
      { src: '/static/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
      { src: '/static/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
      { src: '/static/icon-maskable-192.png', sizes: '192x192', type: 'image/png', purpose: 'maskable' },
      { src: '/static/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
      { src: '/static/icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' },
    ],
  };
}

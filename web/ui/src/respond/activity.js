// The activity list of the responder page, and the notice of what came
// while the phone was away: the server greets a socket before it replays
// the inbox, so a message stamped before the greeting waited there.
// Entries are kept as a catalogue key and its data, not as text, so that
// a change of language redraws them.
import { $, h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { category, distance, timeOfDay, withdrawnText } from '../lib/format.js';

const SHOWN = 12;
const KEPT = 30;

// entryText says an entry in the current language: its data are raw
// values (a category, metres, a reason) turned into words here.
export function entryText(e) {
  if (!e.key) return e.text || ''; // kept from an older page
  const p = e.params || {};
  return t(e.key, {
    ...p,
    cat: p.cat === undefined ? '' : category(p.cat),
    dist: p.dist === undefined ? '' : distance(p.dist),
    reason: p.reason === undefined ? '' : withdrawnText(p.reason),
  });
}

export class Activity {
  // log is the persisted list [{at, key, params, missed, seen}]; persist saves it.
  constructor(log, persist) {
    this.log = log;
    this.persist = persist;
  }

  // add records an entry at time at (ms); missed marks one that waited in
  // the inbox while the phone was away.
  add(key, params, at, missed = false) {
    this.log.push({ at, key, params, missed });
    if (this.log.length > KEPT) this.log.splice(0, this.log.length - KEPT);
    this.persist();
    this.render();
  }

  render() {
    const items = this.log.slice(-SHOWN).reverse().map((e) => h('li', { class: e.missed ? 'missed' : '' },
      h('time', { datetime: new Date(e.at).toISOString() }, timeOfDay(e.at)), ' ', entryText(e),
      e.missed ? h('small', {}, t('respond.missed.while_offline')) : ''));
    replace($('#log ol'), items);
    $('#log').hidden = items.length === 0;
    this.renderMissed();
  }

  renderMissed() {
    const missed = this.log.filter((e) => e.missed && !e.seen);
    const el = $('#missed');
    el.hidden = missed.length === 0;
    if (!missed.length) return;
    replace(el, h('b', {}, t('respond.missed.title', { count: missed.length })),
      h('ul', {}, missed.map((e) => h('li', {}, entryText(e)))),
      h('button', { type: 'button', onclick: () => { for (const e of missed) e.seen = true; this.persist(); this.renderMissed(); } }, t('verb.ok')));
  }
}

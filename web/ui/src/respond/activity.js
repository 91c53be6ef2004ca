// The activity list of the responder page, and the notice of what came
// while the phone was away: the server greets a socket before it replays
// the inbox, so a message stamped before the greeting waited there.
import { $, h, replace } from '../lib/dom.js';

const SHOWN = 12;
const KEPT = 30;

export class Activity {
  // log is the persisted list [{at, text, missed, seen}]; persist saves it.
  constructor(log, persist) {
    this.log = log;
    this.persist = persist;
  }

  // add records an entry at time at (ms); missed marks one that waited in
  // the inbox while the phone was away.
  add(text, at, missed = false) {
    this.log.push({ at, text, missed });
    if (this.log.length > KEPT) this.log.splice(0, this.log.length - KEPT);
    this.persist();
    this.render();
  }

  render() {
    const items = this.log.slice(-SHOWN).reverse().map((e) => h('li', { class: e.missed ? 'missed' : '' },
      h('time', {}, new Date(e.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })), ' ', e.text,
      e.missed ? h('small', {}, ' (while offline)') : ''));
    replace($('#log ol'), items);
    $('#log').hidden = items.length === 0;
    this.renderMissed();
  }

  renderMissed() {
    const missed = this.log.filter((e) => e.missed && !e.seen);
    const el = $('#missed');
    el.hidden = missed.length === 0;
    if (!missed.length) return;
    replace(el, h('b', {}, `While you were offline: ${missed.length} update${missed.length === 1 ? '' : 's'}`),
      h('ul', {}, missed.map((e) => h('li', {}, e.text))),
      h('button', { onclick: () => { for (const e of missed) e.seen = true; this.persist(); this.renderMissed(); } }, 'OK'));
  }
}

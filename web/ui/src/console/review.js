// The review queue: needs awaiting review (from residents, partners'
// work-order systems, warnings) and needs flagged as possible duplicates,
// newest first. Each is decided with one tap: approve at an urgency,
// reject with a reason (required), merge into another need, or keep a
// flagged one. A need that came with an address only is placed first:
// "place on the map", then a click on the map sets its point. What the
// reporter wrote is shown as text, never as markup. The queue is read
// again every 15 seconds and after every decision; its size is on the
// tab's badge.
import { h, replace } from '../lib/dom.js';
import { category, urgencyName } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { errorText } from '../lib/errors.js';
import { num, when } from './say.js';

export const POLL_MS = 15000;
const SOURCE = {
  request: 'review.source.request', open311: 'review.source.open311', staff: 'review.source.staff', cap: 'review.source.cap',
};
const REASON = { same_category_nearby: 'review.dup.same_category_nearby', same_phone: 'review.dup.same_phone' };
const FLAGGABLE = new Set(['open', 'staffing', 'pending_review']);

export const sourceName = (s) => t(SOURCE[s] || SOURCE.staff);
const reasonWords = (r) => String(r || '').split(',').filter(Boolean).map((x) => (REASON[x] ? t(REASON[x]) : x)).join(t('console.review.sep'));

// queueOf picks the needs a reviewer decides, newest first: pending ones
// and flagged ones still open, each once.
export function queueOf(lists) {
  const seen = new Map();
  for (const n of lists.flat()) {
    if (n.status === 'pending_review' || (FLAGGABLE.has(n.status) && (n.possible_duplicate_of || []).length)) seen.set(n.id, n);
  }
  return [...seen.values()].sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || (a.id < b.id ? -1 : 1));
}

export class ReviewQueue {
  constructor({ map, api, store, panel, badge, toast }) {
    Object.assign(this, { map, api, store, panel, badge, toast });
    this.items = [];
    this.known = new Map(); // id -> a need a flagged one may repeat
    this.placing = null; // the need being placed on the map
    this.busy = false;
    this.heading = h('h2', { id: 'review-heading' });
    this.msg = h('p', { class: 'review-message', role: 'status' });
    this.list = h('ol', { class: 'review-list', 'aria-labelledby': 'review-heading' });
    this.empty = h('p', { class: 'empty' });
    replace(panel, this.heading, this.msg, this.empty, this.list);
    map.on('click', (e) => this.mapClick(e.latlng));
  }

  start() {
    this.refresh();
    setInterval(() => { if (!this.busy) this.refresh(); }, POLL_MS);
  }

  async refresh() {
    try {
      const [pending, open, staffing] = await Promise.all(['pending_review', 'open', 'staffing']
        .map((s) => this.api.get(`/api/v1/needs?status=${s}&limit=1000`).then((r) => r.needs || [])));
      this.items = queueOf([pending, open, staffing]);
      this.failed = null;
      // The needs a flagged one may repeat are named by their numbers:
      // those the lists did not bring are read one by one.
      const listed = new Map([...pending, ...open, ...staffing].map((n) => [n.id, n]));
      for (const id of new Set(this.items.flatMap((n) => n.possible_duplicate_of || []))) {
        if (listed.has(id)) this.known.set(id, listed.get(id));
        else if (!this.known.has(id)) this.known.set(id, await this.api.get(`/api/v1/needs/${encodeURIComponent(id)}`).catch(() => ({ id })));
      }
    } catch (err) {
      this.failed = err;
    }
    this.render();
  }

  // named says a need by its number and category when the console knows it.
  named(id) {
    const n = this.items.find((x) => x.id === id) || this.known.get(id) || this.store.needs.get(id);
    return n && n.number ? t('console.review.needNumber', { number: n.number, what: category(n.category) }) : id;
  }

  render() {
    const count = this.items.length;
    this.heading.textContent = t('console.review.heading');
    this.badge.textContent = num(count);
    this.badge.hidden = count === 0;
    this.badge.title = t('console.review.badge', { count: num(count) });
    this.empty.textContent = this.failed ? t('console.review.failed', { error: errorText(this.failed) }) : t('console.review.empty');
    this.empty.hidden = count > 0 && !this.failed;
    replace(this.list, this.items.map((n) => this.row(n)));
  }

  row(n) {
    const pending = n.status === 'pending_review';
    const dups = n.possible_duplicate_of || [];
    const title = n.number ? t('console.review.needNumber', { number: n.number, what: category(n.category) }) : category(n.category);
    const place = n.unplaced
      ? h('p', { class: 'review-address' }, h('span', { class: 'label' }, t('console.review.address')), ' ', h('span', { class: 'address-text' }, n.address || '–'), ' ',
        h('button', { type: 'button', class: `place${this.placing === n.id ? ' on' : ''}`, 'aria-pressed': this.placing === n.id ? 'true' : 'false', onclick: () => this.startPlacing(n.id) },
          this.placing === n.id ? t('console.review.placing') : t('console.review.place')),
        // Without a pointer: pan the map (arrow keys) and place at its centre.
        this.placing === n.id ? h('button', { type: 'button', class: 'place-centre', onclick: () => this.mapClick(this.map.getCenter()) }, t('console.review.placeCentre')) : null)
      : h('p', { class: 'review-place' }, h('span', { class: 'label' }, t('console.review.where')), ' ',
        n.community ? n.community : `${Number(n.lat).toFixed(5)}, ${Number(n.lng).toFixed(5)}`,
        n.address ? h('span', { class: 'address-text' }, ` · ${n.address}`) : null);
    const approve = pending ? h('div', { class: 'review-approve', role: 'group', 'aria-label': t('console.review.approveAt') },
      h('span', { class: 'label', 'aria-hidden': 'true' }, t('console.review.approveAt')),
      [1, 2, 3, 4].map((u) => h('button', {
        type: 'button', class: `urgency-btn urgency-${u}`, dataset: { urgency: String(u) }, disabled: n.unplaced,
        title: n.unplaced ? t('console.review.placeFirst') : null,
        onclick: () => this.decide(n, 'approve', { urgency: u }),
      }, `${u} ${urgencyName(u)}`))) : null;
    const reason = h('input', { name: 'reason', maxlength: 500, 'aria-label': t('console.review.reason'), placeholder: t('console.review.reasonHint') });
    const reject = pending ? h('form', { class: 'review-reject', onsubmit: (e) => {
      e.preventDefault();
      const why = reason.value.trim();
      if (!why) {
        reason.setAttribute('aria-invalid', 'true');
        this.say(t('console.review.reasonRequired'));
        reason.focus();
        return;
      }
      this.decide(n, 'reject', { reason: why });
    } }, reason, ' ', h('button', { type: 'submit', class: 'danger' }, t('verb.reject'))) : null;
    const into = h('input', { name: 'into', maxlength: 64, 'aria-label': t('console.review.intoID'), placeholder: t('console.review.intoHint') });
    const merge = h('div', { class: 'review-merge' },
      dups.length ? h('p', { class: 'dup-why' }, t('console.review.dupOf', { reason: reasonWords(n.duplicate_reason) })) : null,
      dups.map((d) => h('button', { type: 'button', class: 'merge-into', dataset: { into: d }, onclick: () => this.decide(n, 'merge', { into: d }) },
        t('console.review.mergeInto', { need: this.named(d) }))),
      h('form', { class: 'merge-other', onsubmit: (e) => {
        e.preventDefault();
        const id = into.value.trim();
        if (!id) {
          this.say(t('console.review.intoRequired'));
          into.focus();
          return;
        }
        this.decide(n, 'merge', { into: id });
      } }, into, ' ', h('button', { type: 'submit' }, t('verb.merge'))),
      dups.length ? h('button', { type: 'button', class: 'keep', onclick: () => this.decide(n, 'keep', {}) }, t('verb.keep')) : null);
    return h('li', { class: `review-row${pending ? ' pending' : ' flagged'}`, dataset: { id: n.id, status: n.status } },
      h('h3', {}, title, ' ',
        h('span', { class: 'pill source' }, sourceName(n.source)), ' ',
        h('span', { class: `pill ${pending ? 'pending' : 'dup'}` }, pending ? t('need.pending_review') : t('review.duplicate')), ' ',
        h('span', { class: 'pill' }, urgencyName(n.urgency))),
      h('p', { class: 'muted small' }, t('console.review.received', { time: when(n.created_at) })),
      h('p', { class: 'review-description' }, n.description || t('console.review.noDescription')),
      place, approve, reject, merge);
  }

  say(text) {
    this.msg.textContent = text;
  }

  // onEvent: a new need may be flagged as a duplicate; the queue is read
  // again soon (once for a burst of events).
  onEvent(type) {
    if (type !== 'need.created' || this.soonTimer) return;
    this.soonTimer = setTimeout(() => {
      this.soonTimer = null;
      if (!this.busy) this.refresh();
    }, 1000);
  }

  startPlacing(id) {
    this.placing = this.placing === id ? null : id;
    this.map.getContainer().classList.toggle('picking', Boolean(this.placing));
    this.say(this.placing ? t('console.review.clickMap') : '');
    this.render();
  }

  async mapClick(latlng) {
    if (!this.placing) return;
    const id = this.placing;
    this.placing = null;
    this.map.getContainer().classList.remove('picking');
    try {
      await this.api.put(`/api/v1/needs/${encodeURIComponent(id)}/place`, { lat: Number(latlng.lat.toFixed(6)), lng: Number(latlng.lng.toFixed(6)) });
      this.say(t('console.review.placed', { need: this.named(id) }));
    } catch (err) {
      this.say(t('console.review.actionFailed', { error: errorText(err) }));
    }
    await this.refresh();
  }

  // decide sends one decision and reads the queue again.
  async decide(n, action, body) {
    this.busy = true;
    const name = this.named(n.id);
    try {
      const out = await this.api.post(`/api/v1/needs/${encodeURIComponent(n.id)}/${action}`, body);
      if (out && out.status && out.status !== 'pending_review') this.store.upsertNeed(out);
      const done = {
        approve: () => t('console.review.approved', { need: name, level: body.urgency }),
        reject: () => t('console.review.rejected', { need: name }),
        merge: () => t('console.review.merged', { need: name, into: this.named(body.into) }),
        keep: () => t('console.review.kept', { need: name }),
      }[action];
      this.say(done());
    } catch (err) {
      this.say(t('console.review.actionFailed', { error: errorText(err) }));
    }
    this.busy = false;
    await this.refresh();
  }
}

// The map legend: what the colours and shapes mean, each with its word
// beside it, so that colour never carries a meaning alone. It is drawn
// again when the language changes.
import L from 'leaflet';
import { h, replace } from '../lib/dom.js';
import { urgencyName } from '../lib/format.js';
import { onLangChange, t } from '../lib/i18n.js';
import { responderState, statusName } from './say.js';

export function legend() {
  const ctl = L.control({ position: 'bottomleft' });
  ctl.onAdd = () => {
    const el = h('details', { class: 'legend' });
    const draw = () => replace(el,
      h('summary', {}, t('console.legend')),
      h('div', {}, h('b', {}, t('console.legend.needs'), ' '), [1, 2, 3, 4].map((u) => h('span', {},
        h('span', { class: `swatch urgency-${u}`, 'aria-hidden': 'true' }, String(u)), ` ${urgencyName(u)} `))),
      h('div', { class: 'shapes' }, ['open', 'staffing', 'staffed', 'completed', 'cancelled'].map((s) =>
        h('span', {}, h('span', { class: `need-marker mini status-${s} urgency-3`, 'aria-hidden': 'true' }, h('span', { class: 'shape' })), ` ${statusName(s)} `))),
      h('div', {}, h('b', {}, t('console.legend.people'), ' '), ['available', 'offered', 'assigned', 'off_duty'].map((s) =>
        h('span', {}, h('span', { class: `responder-marker mini state-${s}`, 'aria-hidden': 'true' }), ` ${responderState(s)} `))),
      h('div', {}, h('b', {}, t('console.legend.cells'), ' '), h('span', { class: 'swatch heat-short', 'aria-hidden': 'true' }), ' ', t('console.legend.short'), ' ',
        h('span', { class: 'swatch heat-covered', 'aria-hidden': 'true' }), ' ', t('console.legend.covered'), ' ',
        h('span', { class: 'swatch heat-supply', 'aria-hidden': 'true' }), ' ', t('console.legend.supply')));
    draw();
    onLangChange(draw);
    L.DomEvent.disableClickPropagation(el);
    return el;
  };
  return ctl;
}

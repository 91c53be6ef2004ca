// The map legend: what the colours and shapes mean.
import L from 'leaflet';
import { h } from '../lib/dom.js';
import { urgencyName } from '../lib/format.js';

export function legend() {
  const ctl = L.control({ position: 'bottomleft' });
  ctl.onAdd = () => {
    const el = h('details', { class: 'legend' },
      h('summary', {}, 'Legend'),
      h('div', {}, h('b', {}, 'Needs '), [1, 2, 3, 4].map((u) => h('span', { class: `swatch urgency-${u}`, title: urgencyName(u) }, String(u)))),
      h('div', { class: 'shapes' }, ['open', 'staffing', 'staffed', 'completed', 'cancelled'].map((s) =>
        h('span', {}, h('span', { class: `need-marker mini status-${s} urgency-3` }, h('span', { class: 'shape' })), ` ${s} `))),
      h('div', {}, h('b', {}, 'People '), ['available', 'offered', 'assigned', 'off_duty'].map((s) =>
        h('span', {}, h('span', { class: `responder-marker mini state-${s}` }), ` ${s.replace('_', ' ')} `))),
      h('div', {}, h('b', {}, 'Cells '), h('span', { class: 'swatch heat-short' }), ' short ', h('span', { class: 'swatch heat-covered' }), ' covered ',
        h('span', { class: 'swatch heat-supply' }), ' people only'));
    L.DomEvent.disableClickPropagation(el);
    return el;
  };
  return ctl;
}

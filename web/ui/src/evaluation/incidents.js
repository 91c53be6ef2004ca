// The evaluation's incident selector: every incident (active first, as
// the server lists them), or all of them. The chosen one is passed to
// GET /api/v1/evaluation as ?incident=, so the figures are its needs'.
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { kindName } from '../lib/incidentkind.js';

export class IncidentSelect {
  constructor(select, api, onChange) {
    Object.assign(this, { select, api });
    this.incidents = [];
    select.addEventListener('change', () => onChange(select.value));
  }

  // load reads the incidents; a failure leaves "all" alone to choose.
  async load() {
    try {
      const res = await this.api.get('/api/v1/incidents');
      this.incidents = res.incidents || [];
    } catch {
      this.incidents = [];
    }
    this.render();
  }

  value() {
    return this.select.value;
  }

  name(id) {
    const i = this.incidents.find((x) => x.id === id);
    return i ? this.label(i) : '';
  }

  label(i) {
    const key = i.status === 'active' ? (i.exercise ? 'eval.incident.exercise' : 'eval.incident.active') : 'eval.incident.closed';
    return t(key, { name: i.name, kind: kindName(i.kind) });
  }

  render() {
    const chosen = this.select.value;
    replace(this.select, h('option', { value: '' }, t('eval.incident.all')), this.incidents.map((i) => h('option', { value: i.id }, this.label(i))));
    this.select.value = this.incidents.some((i) => i.id === chosen) ? chosen : '';
  }
}

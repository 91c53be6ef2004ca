// The kinds of incident in the page's language, for every page that
// names incidents (the console's panel, the evaluation's selector).
import './words.js';
import { t } from './i18n.js';

export const KINDS = ['typhoon', 'flood', 'earthquake', 'epidemic', 'fire', 'heatwave', 'other'];
const KIND = {
  typhoon: 'incident.kind.typhoon', flood: 'incident.kind.flood', earthquake: 'incident.kind.earthquake', epidemic: 'incident.kind.epidemic',
  fire: 'incident.kind.fire', heatwave: 'incident.kind.heatwave', other: 'incident.kind.other',
};

// kindName says a kind; one this page does not know shows as itself.
export const kindName = (k) => (KIND[k] ? t(KIND[k]) : String(k || ''));

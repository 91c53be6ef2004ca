// Which way and how far the job is from the phone, in words: "东北 1.2 公里"
// / "1.2 km north-east". A map at street zoom over the offline basemap is a
// dot on a blank background; the words (on the map and on the job card)
// say where to go for people who do not read maps.
import { t } from '../lib/i18n.js';
import { distance } from '../lib/format.js';

const EARTH_M = 6371000;
const rad = Math.PI / 180;

// metresBetween is the great-circle distance between {lat, lng} points.
export function metresBetween(a, b) {
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_M * Math.asin(Math.min(1, Math.sqrt(s)));
}

// bearing is the initial compass bearing from a to b in degrees (0 north,
// 90 east).
export function bearing(a, b) {
  const y = Math.sin((b.lng - a.lng) * rad) * Math.cos(b.lat * rad);
  const x = Math.cos(a.lat * rad) * Math.sin(b.lat * rad) - Math.sin(a.lat * rad) * Math.cos(b.lat * rad) * Math.cos((b.lng - a.lng) * rad);
  return ((Math.atan2(y, x) / rad) + 360) % 360;
}

// The eight points of the compass, clockwise from north; each names a
// catalogue key respond.compass.<point>.
const POINTS = ['n', 'ne', 'e', 'se', 's', 'sw', 'w', 'nw'];

export function compassPoint(deg) {
  return POINTS[Math.round(deg / 45) % 8];
}

// towards describes the way from a to b: {metres, degrees, words}; words
// is empty when either point is unknown.
export function towards(a, b) {
  if (!a || !b || ![a.lat, a.lng, b.lat, b.lng].every(Number.isFinite)) return { metres: NaN, degrees: NaN, words: '' };
  const metres = metresBetween(a, b);
  const degrees = bearing(a, b);
  // Within a few metres a direction means nothing: say only how near.
  const words = metres < 15
    ? t('respond.direction.here', { dist: distance(metres) })
    : t('respond.direction.words', { dir: t(`respond.compass.${compassPoint(degrees)}`), dist: distance(metres) });
  return { metres, degrees, words };
}

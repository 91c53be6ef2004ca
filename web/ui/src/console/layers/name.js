// nameMarker gives a map marker its accessible name: Leaflet makes a
// marker a focusable button, and a button needs a name (axe-core's
// aria-command-name). The name says in words what the icon's colour and
// shape say.
export function nameMarker(marker, label) {
  const el = marker.getElement();
  if (el) el.setAttribute('aria-label', label);
}

// The category icons: small line drawings as data URLs (the page's policy
// allows data: images), so that they show on phones without emoji fonts.
const PATHS = {
  medical: '<path d="M9 3h6v6h6v6h-6v6H9v-6H3V9h6z"/>',
  medicine_delivery: '<rect x="3" y="8" width="18" height="8" rx="4"/><path d="M12 8v8"/>',
  food_delivery: '<path d="M3 11h18a9 9 0 0 1-18 0z"/><path d="M8 7c0-2 2-2 2-4M13 7c0-2 2-2 2-4"/>',
  elderly_checkin: '<path d="M3 11l9-8 9 8"/><path d="M5 10v11h14V10"/><path d="M10 21v-6h4v6"/>',
  escort: '<circle cx="8" cy="4" r="2"/><circle cx="16" cy="4" r="2"/><path d="M8 7v7l-2 7M8 14l2 7M16 7v7l-2 7M16 14l2 7M5 10h6M13 10h6"/>',
  evacuation_assist: '<path d="M4 3h9v18H4z"/><path d="M15 12h7M19 9l3 3-3 3"/>',
  trapped_person: '<path d="M12 3l10 18H2z"/><path d="M12 10v5M12 17.5v.5"/>',
  psychological_support: '<path d="M4 5h16v11H10l-5 4v-4H4z"/>',
  shopping: '<path d="M5 8h14l-1 13H6z"/><path d="M9 8V6a3 3 0 0 1 6 0v2"/>',
  other: '<circle cx="12" cy="12" r="9"/><path d="M9.5 9.5a2.5 2.5 0 1 1 3.5 2.3c-.7.4-1 1-1 1.7v.5M12 17v.5"/>',
};

// icon is the data URL of a category's drawing, in the given colour.
export function icon(category, colour = '#0b4f9c') {
  const body = PATHS[category] || PATHS.other;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="40" height="40" fill="none" stroke="${colour}" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">${body}</svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

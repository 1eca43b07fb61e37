// Small line icons (16 px, currentColor) for mask kinds and bokeh shapes,
// beside their names (decorative: aria-hidden, the name stays the label).
const PATHS = {
  // mask kinds
  subject: '<circle cx="8" cy="5" r="2.6"/><path d="M2.5 15c0-3.3 2.5-5.5 5.5-5.5s5.5 2.2 5.5 5.5"/>',
  background: '<rect x="1.5" y="2.5" width="13" height="11" rx="1"/><path d="M1.5 11l4-4 3 3 2-2 4 4"/>',
  depth_range: '<path d="M3 13h10M4.5 9.5h7M6 6h4"/><path d="M8 1.5v3"/>',
  luminance_range: '<circle cx="8" cy="8" r="6"/><path d="M8 2a6 6 0 0 1 0 12z" fill="currentColor"/>',
  linear_gradient: '<rect x="1.5" y="1.5" width="13" height="13" rx="1"/><path d="M1.5 6h13M1.5 10h13" stroke-dasharray="2 1.5"/>',
  radial_gradient: '<circle cx="8" cy="8" r="6.5"/><circle cx="8" cy="8" r="3" stroke-dasharray="2 1.5"/>',
  brush: '<path d="M14 2L7 9"/><path d="M7 9c-2 0-3 1.2-3 3 0 1.3-.9 2-2.5 2 2.5 1.5 6.5.5 6.5-3z"/>',
  whole_image: '<rect x="1.5" y="2.5" width="13" height="11" rx="1" fill="currentColor" fill-opacity=".35"/>',
  file: '<path d="M3.5 1.5h6l3 3v10h-9z"/><path d="M9.5 1.5v3h3"/>',
  // bokeh shapes
  circle: '<circle cx="8" cy="8" r="6" fill="currentColor" fill-opacity=".35"/>',
  blades: '<path d="M8 2l5.2 3v6L8 14l-5.2-3V5z" fill="currentColor" fill-opacity=".35"/>',
  ring: '<circle cx="8" cy="8" r="6" stroke-width="2.4"/>',
  bubble: '<circle cx="8" cy="8" r="6" fill="currentColor" fill-opacity=".2"/><circle cx="8" cy="8" r="6" stroke-width="1.8"/>',
};

// An <svg> for `name`, or null when there is none.
export function icon(name) {
  const d = PATHS[name];
  if (!d) return null;
  const t = document.createElement("template");
  t.innerHTML = `<svg class="icon" viewBox="0 0 16 16" width="16" height="16" fill="none" stroke="currentColor" stroke-width="1.3" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">${d}</svg>`;
  return t.content.firstChild;
}

// `el` with the icon of `name` before its text (when there is one).
export function withIcon(el, name) {
  const i = icon(name);
  if (i) el.prepend(i);
  return el;
}

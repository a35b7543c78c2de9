// Helpers shared by the deployment page's tabs.

/**
 * Runs redraw(), which rebuilds part of the page, and puts the keyboard focus back on the
 * control that had it (found again by its accessible label or id), so a live refresh never
 * throws a keyboard user out of a table.
 */
export function keepFocus(container, redraw) {
  const active = document.activeElement;
  const inside = active && container.contains(active) && active !== container;
  const key = inside ? (active.id ? `#${CSS.escape(active.id)}`
    : active.getAttribute('aria-label') ? `[aria-label="${CSS.escape(active.getAttribute('aria-label'))}"]` : null) : null;
  redraw();
  if (key) {
    const again = container.querySelector(key);
    if (again) again.focus({preventScroll: true});
  }
}

/** The dashboard URL of a deployment's tab (the overview has none of its own). */
export function deploymentUrl(project, deployment, tab = 'overview') {
  const base = `/projects/${encodeURIComponent(project)}/deployments/${encodeURIComponent(deployment)}`;
  return tab === 'overview' ? base : `${base}/${tab}`;
}

/**
 * fn() now and then whenever key() gives another value: for redrawing a section on a live
 * update only when what it shows changed (a redraw closes open selects and details).
 */
export function whenChanged(key, fn) {
  let last;
  return () => {
    const now = JSON.stringify(key());
    if (now === last) return;
    last = now;
    fn();
  };
}

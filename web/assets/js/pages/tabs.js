// Tabs with the ARIA tabs pattern: arrow keys, Home and End move between tabs (and show
// them); only the selected tab is in the Tab order.

import {h, uid} from '../dom.js';

/**
 * items: [{id, label, panel}]; returns {element, select(id)}. onChange(id) after a change.
 * labelPanels: false leaves the panels unnamed, where a panel named after its tab would
 * share that name with a field inside it (the sign-in page's "Password").
 */
export function tabList(label, items, {selected = items[0].id, onChange, labelPanels = true} = {}) {
  const base = uid('tabs');
  const tabs = [];
  const panels = [];
  function select(id, {focus = false} = {}) {
    items.forEach((item, i) => {
      const on = item.id === id;
      tabs[i].setAttribute('aria-selected', on ? 'true' : 'false');
      tabs[i].tabIndex = on ? 0 : -1;
      panels[i].hidden = !on;
      if (on && focus) tabs[i].focus();
    });
    if (onChange) onChange(id);
  }
  function onKeydown(event, index) {
    const moves = {ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: items.length - 1};
    if (!(event.key in moves)) return;
    event.preventDefault();
    const next = (moves[event.key] + items.length) % items.length;
    select(items[next].id, {focus: true});
  }
  items.forEach((item, i) => {
    const tabId = `${base}-tab-${item.id}`;
    const panelId = `${base}-panel-${item.id}`;
    tabs.push(h('button', {
      type: 'button', role: 'tab', id: tabId, class: 'tab', 'aria-controls': panelId,
      onclick: () => select(item.id), onkeydown: (event) => onKeydown(event, i)}, item.label));
    panels.push(h('div', {role: 'tabpanel', id: panelId, class: 'tab-panel',
      'aria-labelledby': labelPanels ? tabId : null},
      item.panel));
  });
  const element = h('div', {class: 'tabs-block'},
    h('div', {role: 'tablist', class: 'tabs', 'aria-label': label}, tabs),
    panels);
  items.forEach((item, i) => {
    const on = item.id === selected;
    tabs[i].setAttribute('aria-selected', on ? 'true' : 'false');
    tabs[i].tabIndex = on ? 0 : -1;
    panels[i].hidden = !on;
  });
  return {element, select};
}

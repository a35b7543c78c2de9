// The events tab: what happened to the deployment, who did it and when, followed live and
// filtered by kind (the server's `kind` prefix filter).

import {h, replace, field} from '../dom.js';
import {api} from '../api.js';
import {errorBox, timeElement} from '../ui.js';

const MAX_EVENTS = 1000;
const KINDS = [
  {value: '', label: 'All kinds'},
  {value: 'deployment.phase', label: 'Phase changes'},
  {value: 'build', label: 'Builds'},
  {value: 'rollout', label: 'Rollouts'},
  {value: 'deployment', label: 'Changes to the deployment'},
  {value: 'action', label: 'Actions'},
  {value: 'domain', label: 'Custom domains'},
];

function kindColour(kind) {
  if (/failed|rolled_back|clone_failed|phase\.(failed|degraded)/.test(kind)) return 'red';
  if (/succeeded|phase\.running|switched/.test(kind)) return 'green';
  return 'neutral';
}

export function renderEvents(panel, ctx) {
  const kind = field('Kind', 'select', {options: KINDS, value: ''});
  const follow = h('input', {type: 'checkbox', checked: true});
  const state = h('p', {class: 'muted', role: 'status'});
  const list = h('ol', {class: 'dep-events', 'aria-label': 'Events, newest first'});
  replace(panel, h('div', {class: 'dep-events-tab'},
    h('div', {class: 'dep-toolbar'}, kind.field, h('div', {class: 'dep-checks'}, h('label', {class: 'check'}, follow, ' Follow'))),
    state,
    list));

  let close = null;
  let generation = 0;

  function item(ev) {
    return h('li', {class: ['dep-event', `kind-${kindColour(ev.kind)}`], dataset: {testid: 'event', kind: ev.kind, id: ev.id}},
      h('div', {class: 'dep-event-head'},
        h('code', {class: 'dep-event-kind'}, ev.kind),
        h('span', {class: 'muted'}, ev.actor || 'stackyard'),
        timeElement(ev.at)),
      h('p', {class: 'dep-event-message'}, ev.message));
  }

  function add(ev) {
    if (!ev || !ev.kind) return;
    if (list.querySelector(`[data-id="${CSS.escape(String(ev.id))}"]`)) return;
    list.prepend(item(ev));
    while (list.childElementCount > MAX_EVENTS) list.lastElementChild.remove();
    state.textContent = `${list.childElementCount} event${list.childElementCount === 1 ? '' : 's'}${close ? ' · following new ones' : ''}`;
  }

  async function restart() {
    if (close) close();
    close = null;
    generation += 1;
    const mine = generation;
    replace(list);
    const q = new URLSearchParams({limit: '200'});
    if (kind.input.value) q.set('kind', kind.input.value);
    if (follow.checked) {
      q.set('follow', 'true');
      state.textContent = 'Connecting…';
      close = api.follow(`${ctx.path}/events?${q}`, add, {
        onOpen: () => { if (mine === generation && list.childElementCount === 0) state.textContent = 'No events yet · following new ones'; },
        onError: () => { if (mine === generation) state.textContent = 'Connection lost; reconnecting…'; },
      });
      return;
    }
    try {
      const answer = await api.get(`${ctx.path}/events?${q}`);
      if (mine !== generation) return;
      (answer.events || []).forEach(add);
      if (!answer.events || answer.events.length === 0) state.textContent = 'No events.';
    } catch (e) {
      if (mine === generation) replace(list, h('li', {}, errorBox(e)));
    }
  }

  kind.input.addEventListener('change', restart);
  follow.addEventListener('change', restart);
  restart();
  return () => {
    generation += 1;
    if (close) close();
  };
}

// The env & params tab: every variable of every service with where its value comes from,
// the deployment's overrides (add, edit, remove; for all components or one), and the stack's
// params. Secrets are masked; owners and admins may reveal them. Each change says which
// services restart or roll out, as the API's answer does.

import {h, replace, field} from '../dom.js';
import {api, session, projectPath} from '../api.js';
import {errorBox, openDialog, spinner, toast} from '../ui.js';
import {keepFocus} from './util.js';

const ORIGIN_WORDS = {
  manifest: 'manifest',
  param: 'param',
  import: 'imported',
  generated: 'generated',
  override: 'override',
};

const ACTION_WORDS = {restart: 'restarts', rollout: 'rolls out', rebuild: 'is rebuilt'};

/** "web restarts, worker rolls out" from a change's answer. */
export function describeChange(answer) {
  const services = (answer && answer.services) || [];
  if (services.length === 0) return 'no container changes (the deployment may be stopped: it takes the change at its next start)';
  return services.map((s) => `${s.service} ${ACTION_WORDS[s.action] || s.action}`).join(', ');
}

export function renderConfig(panel, ctx) {
  const notice = h('div', {class: 'dep-notice', role: 'status', 'aria-live': 'polite', dataset: {testid: 'config-change'}});
  const envBox = h('section', {class: 'card dep-section', 'aria-labelledby': 'cf-env'});
  const paramsBox = h('section', {class: 'card dep-section', 'aria-labelledby': 'cf-params'});
  replace(panel, h('div', {class: 'dep-config'}, notice, envBox, paramsBox));
  replace(envBox, h('h2', {id: 'cf-env'}, 'Environment'), spinner('Loading variables'));
  replace(paramsBox, h('h2', {id: 'cf-params'}, 'Params'), spinner('Loading params'));

  let reveal = false;
  let canReveal = session.user && session.user.role === 'admin';
  let variables = [];
  let stopped = false;

  api.get(projectPath(ctx.project, 'members')).then((r) => {
    const me = session.user && session.user.name;
    if ((r.members || []).some((m) => m.user === me && m.role === 'owner')) canReveal = true;
    if (!stopped) drawEnv();
  }).catch(() => {});

  function components() {
    const d = ctx.deployment;
    const fromStatus = ((d && d.status && d.status.services) || []).filter((s) => s.kind === 'component').map((s) => s.id);
    const fromEnv = variables.filter((v) => v.kind === 'component').map((v) => v.service);
    const fromTree = ((ctx.status && ctx.status.containers) || []).filter((c) => c.kind === 'component').map((c) => c.service);
    return [...new Set([...fromStatus, ...fromEnv, ...fromTree])].sort();
  }

  // The overrides by name: [{component: null|'web', value, secret}], from the deployment's
  // `env` ("NAME" for every component, "web:NAME" for one; secrets are null there).
  function overrides() {
    const map = new Map();
    const env = (ctx.deployment && ctx.deployment.env) || {};
    for (const [key, value] of Object.entries(env)) {
      const i = key.indexOf(':');
      const name = i < 0 ? key : key.slice(i + 1);
      const component = i < 0 ? null : key.slice(0, i);
      if (!map.has(name)) map.set(name, []);
      map.get(name).push({component, value});
    }
    return map;
  }

  async function load() {
    try {
      const answer = await api.get(`${ctx.path}/env${reveal ? '?reveal=true' : ''}`);
      if (stopped) return;
      variables = answer.variables || [];
      drawEnv();
    } catch (e) {
      if (stopped) return;
      if (reveal && e.status === 403) {
        reveal = false;
        toast(e.message, 'error');
        return load();
      }
      replace(envBox, h('h2', {id: 'cf-env'}, 'Environment'), errorBox(e));
    }
  }

  async function loadParams() {
    try {
      const answer = await api.get(`${ctx.path}/params${reveal ? '?reveal=true' : ''}`);
      if (!stopped) drawParams(answer.params || []);
    } catch (e) {
      if (!stopped) replace(paramsBox, h('h2', {id: 'cf-params'}, 'Params'), errorBox(e));
    }
  }

  function valueNode(v) {
    if (v.secret && (v.value === null || v.value === undefined)) {
      return h('span', {class: 'dep-secret'}, h('span', {'aria-hidden': 'true'}, '••••••'), h('span', {class: 'visually-hidden'}, 'secret, hidden'));
    }
    return h('code', {class: 'dep-value'}, v.value === '' ? '""' : v.value);
  }

  function drawEnv() {
    const byName = new Map();
    for (const v of variables) {
      if (!byName.has(v.name)) byName.set(v.name, []);
      byName.get(v.name).push(v);
    }
    const over = overrides();
    for (const name of over.keys()) if (!byName.has(name)) byName.set(name, []);
    const names = [...byName.keys()].sort();
    const rows = names.map((name) => {
      const vars = byName.get(name);
      const mine = over.get(name) || [];
      const secret = vars.some((v) => v.secret);
      return h('tr', {dataset: {testid: 'env-row', name, secret: secret ? 'true' : null}},
        h('th', {scope: 'row', dataset: {label: 'Name'}}, h('code', {}, name), secret ? h('span', {class: 'dep-tag'}, 'secret') : null),
        h('td', {dataset: {label: 'Value'}}, h('ul', {class: 'dep-values'}, vars.map((v) => h('li', {},
          h('span', {class: 'dep-service'}, v.service), ' ', valueNode(v),
          h('span', {class: 'dep-origin'}, ` ${ORIGIN_WORDS[v.origin] || v.origin}`,
            v.source && v.origin !== 'manifest' ? ` · ${v.origin === 'override' && v.source === 'deployment' ? 'all components' : v.source}` : ''))))),
        h('td', {class: 'dep-row-actions'},
          // Add-ons take no overrides: a variable only they have cannot be edited here.
          mine.length || vars.some((v) => v.kind === 'component') ? h('button', {type: 'button', class: 'button small',
            'aria-label': `Edit ${name}`, onclick: () => editDialog({name, vars, mine})}, 'Edit') : null,
          mine.length ? h('button', {type: 'button', class: 'button small danger-outline', 'aria-label': `Remove ${name}`,
            onclick: () => removeDialog(name, mine)}, 'Remove') : null));
    });
    keepFocus(envBox, () => replace(envBox,
      h('div', {class: 'dep-section-head'},
        h('h2', {id: 'cf-env'}, 'Environment'),
        h('div', {class: 'dep-buttons'},
          canReveal ? h('button', {type: 'button', class: 'button small', 'aria-pressed': reveal ? 'true' : 'false',
            onclick: () => { reveal = !reveal; load(); loadParams(); }}, reveal ? 'Hide secrets' : 'Reveal secrets') : null,
          h('button', {type: 'button', class: 'button primary', onclick: () => editDialog(null)}, 'Add variable'))),
      h('p', {class: 'muted'}, 'An override wins over the manifest\'s value; one set for a component wins over one for all components. '
        + 'Add-ons take no overrides.'),
      rows.length ? h('table', {class: 'dep-table stacked dep-env'},
        h('thead', {}, h('tr', {}, ['Name', 'Value per service and origin', h('span', {class: 'visually-hidden'}, 'Actions')]
          .map((c) => h('th', {scope: 'col'}, c)))),
        h('tbody', {}, rows)) : h('p', {class: 'muted'}, 'No variables.')));
  }

  function announce(text) {
    replace(notice, h('p', {}, text));
  }

  async function afterChange(what, answer) {
    const text = `${what}: ${describeChange(answer)}.`;
    announce(text);
    toast(text, 'success');
    await ctx.refresh().catch(() => {});
    await load();
  }

  function editDialog(existing) {
    const comps = components();
    const first = existing && existing.mine.length ? existing.mine[0] : null;
    const name = field('Name', 'input', {type: 'text', value: existing ? existing.name : '', autocomplete: 'off',
      spellcheck: 'false', readonly: existing ? true : null, required: true},
    'Letters, digits and _, not starting with a digit.');
    const shown = existing ? existing.vars.find((v) => !v.secret) : null;
    const value = field('Value', 'textarea', {rows: 3, spellcheck: 'false',
      value: first && first.value !== null && first.value !== undefined ? first.value : shown ? shown.value : ''});
    const component = field('Component', 'select', {
      options: [{value: '', label: 'All components'}, ...comps.map((c) => ({value: c, label: c}))],
      value: first && first.component ? first.component : ''});
    const secretId = `secret-${Math.random().toString(36).slice(2)}`;
    const secret = h('input', {type: 'checkbox', id: secretId, 'aria-describedby': `${secretId}-hint`,
      checked: existing ? existing.vars.some((v) => v.secret && v.origin === 'override') : false});
    const message = h('div', {'aria-live': 'polite'});
    return openDialog({
      title: existing ? `Edit ${existing.name}` : 'Add variable',
      body: h('div', {class: 'stack'}, name.field, value.field, component.field,
        h('div', {class: 'field check'}, secret, h('label', {for: secretId}, 'Secret'),
          h('p', {class: 'hint', id: `${secretId}-hint`}, 'Stored encrypted and shown masked.')),
        message),
      actions: [
        {label: 'Cancel', value: false},
        {label: 'Save', kind: 'primary', onclick: async () => {
          const n = name.input.value.trim();
          if (!n) {
            replace(message, errorBox('Give the variable a name.'));
            return false;
          }
          const body = {value: value.input.value, secret: secret.checked};
          if (component.input.value) body.component = component.input.value;
          try {
            const answer = await api.put(`${ctx.path}/env/${encodeURIComponent(n)}`, body);
            afterChange(`Saved ${n}`, answer);
            return true;
          } catch (e) {
            replace(message, errorBox(e));
            return false;
          }
        }},
      ],
    });
  }

  async function removeDialog(name, mine) {
    const scope = mine.length > 1 ? field('Component', 'select', {
      options: mine.map((m) => ({value: m.component || '', label: m.component || 'All components'}))}) : null;
    const message = h('div', {'aria-live': 'polite'});
    await openDialog({
      title: `Remove ${name}?`,
      body: h('div', {class: 'stack'}, h('p', {}, scope ? 'Remove the override set for:' : `Remove the override of ${name}${mine[0].component ? ` for ${mine[0].component}` : ''}? `
        + 'The manifest\'s value applies again.'), scope ? scope.field : null, message),
      actions: [
        {label: 'Cancel', value: false},
        {label: 'Remove', kind: 'danger', onclick: async () => {
          const c = scope ? scope.input.value : mine[0].component || '';
          try {
            const answer = await api.del(`${ctx.path}/env/${encodeURIComponent(name)}${c ? `?component=${encodeURIComponent(c)}` : ''}`);
            afterChange(`Removed ${name}`, answer);
            return true;
          } catch (e) {
            replace(message, errorBox(e));
            return false;
          }
        }},
      ],
    });
  }

  // --- Params ----------------------------------------------------------------------------

  function drawParams(params) {
    const rows = params.map((p) => h('tr', {dataset: {testid: 'param-row', name: p.id}},
      h('th', {scope: 'row', dataset: {label: 'Param'}}, h('code', {}, p.id), h('span', {class: 'dep-tag'}, p.type),
        p.description ? h('p', {class: 'muted'}, p.description) : null),
      h('td', {dataset: {label: 'Value'}}, valueNode({secret: p.secret || p.type === 'secret', value: p.value}),
        h('span', {class: 'dep-origin'}, p.set ? ' set on the deployment' : ' default')),
      h('td', {class: 'dep-row-actions'},
        h('button', {type: 'button', class: 'button small', 'aria-label': `Edit param ${p.id}`, onclick: () => editParam(p)}, 'Edit'),
        p.set && p.default !== undefined ? h('button', {type: 'button', class: 'button small', 'aria-label': `Reset param ${p.id}`,
          onclick: () => resetParam(p)}, 'Reset') : null)));
    keepFocus(paramsBox, () => replace(paramsBox,
      h('h2', {id: 'cf-params'}, 'Params'),
      rows.length ? h('table', {class: 'dep-table stacked'},
        h('thead', {}, h('tr', {}, ['Param', 'Value', h('span', {class: 'visually-hidden'}, 'Actions')].map((c) => h('th', {scope: 'col'}, c)))),
        h('tbody', {}, rows)) : h('p', {class: 'muted'}, 'The stack declares no params.')));
  }

  function editParam(p) {
    const current = p.value === null || p.value === undefined ? '' : String(p.value);
    let input;
    if (p.type === 'enum') input = field('Value', 'select', {options: p.values || [], value: current});
    else if (p.type === 'boolean') input = field('Value', 'select', {options: ['true', 'false'], value: current});
    else input = field('Value', 'input', {type: p.type === 'secret' ? 'password' : 'text', value: current, autocomplete: 'off',
      inputmode: p.type === 'integer' || p.type === 'number' ? 'decimal' : null});
    const message = h('div', {'aria-live': 'polite'});
    return openDialog({
      title: `Edit param ${p.id}`,
      body: h('div', {class: 'stack'}, p.description ? h('p', {}, p.description) : null, input.field, message),
      actions: [
        {label: 'Cancel', value: false},
        {label: 'Save', kind: 'primary', onclick: async () => {
          try {
            const answer = await api.put(`${ctx.path}/params/${encodeURIComponent(p.id)}`, {value: input.input.value});
            afterChange(`Saved param ${p.id}`, answer).then(loadParams);
            return true;
          } catch (e) {
            replace(message, errorBox(e));
            return false;
          }
        }},
      ],
    });
  }

  async function resetParam(p) {
    try {
      const answer = await api.del(`${ctx.path}/params/${encodeURIComponent(p.id)}`);
      await afterChange(`Param ${p.id} is back to its default`, answer);
      loadParams();
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  load();
  loadParams();
  return () => { stopped = true; };
}
